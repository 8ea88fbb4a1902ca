// The one door between C++ and PostgreSQL.
//
// Postgres reports errors with siglongjmp; C++ with exceptions. Neither may
// cross the other's frames: a longjmp over a frame that owns a destructor is
// undefined behaviour, and an exception escaping into Postgres kills the
// backend. Three tools keep them apart:
//
//   PP_FUNCTION(name)  every SQL-callable entry point. Runs the body inside
//                      try/catch; an escaping exception becomes ereport(ERROR)
//                      with its SQLSTATE, raised only after the catch block
//                      ended, i.e. after every destructor ran.
//   pp::pg(fn)         a call into Postgres from a frame that owns C++
//                      objects: a Postgres error is caught by sigsetjmp and
//                      rethrown as pp::PgError, unwinding C++ normally; the
//                      entry point re-raises the original error unchanged.
//                      Header-only; today only the test module uses it
//                      (test/module/boundary_probe.cpp).
//   pp::Error          what our own code throws: SQLSTATE + message + hint.
//
// Code that calls Postgres directly (not through pp::pg) must hold only
// trivially destructible locals: palloc'd memory, Datums, plain structs.
#pragma once

#include "pg.hpp"

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace pp {

// An error our code raises; carries everything ereport needs.
class Error : public std::exception {
public:
	Error(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
		: sqlstate_(sqlstate), message_(std::move(message)), detail_(std::move(detail)), hint_(std::move(hint)) {}
	const char *what() const noexcept override { return message_.c_str(); }
	int sqlstate() const noexcept { return sqlstate_; }
	const std::string &detail() const noexcept { return detail_; }
	const std::string &hint() const noexcept { return hint_; }

private:
	int sqlstate_;
	std::string message_, detail_, hint_;
};

// A Postgres error caught by pp::pg, travelling up the C++ stack.
class PgError : public std::exception {
public:
	explicit PgError(ErrorData *data) noexcept : data_(data) {}
	const char *what() const noexcept override { return data_->message ? data_->message : "postgres error"; }
	ErrorData *data() const noexcept { return data_; }

private:
	ErrorData *data_;  // palloc'd in the caller's memory context
};

namespace detail {
// Runs impl(fcinfo) and turns any escaping C++ exception into ereport.
Datum run_guarded(FunctionCallInfo fcinfo, Datum (*impl)(FunctionCallInfo), const char *name);
[[noreturn]] void rethrow_caught(ErrorData *edata);

// Runs call(arg) under PG_TRY; returns the caught error (copied into the
// caller's memory context, error state flushed) or nullptr. call is
// noexcept: a C++ exception leaving the PG_TRY block would skip
// PG_END_TRY and leave Postgres' error stack pointing at this dead frame.
// Inline (header-only): a library that never calls pp::pg carries none of it.
inline ErrorData *catch_pg_error(void (*call)(void *) noexcept, void *arg) {
	MemoryContext caller_cxt = CurrentMemoryContext;
	ErrorData *volatile caught = nullptr;
	PG_TRY();
	{
		call(arg);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller_cxt);
		caught = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	return caught;
}
}  // namespace detail

// Calls fn, which may ereport, from a frame that owns C++ objects. A
// Postgres error comes back as a thrown pp::PgError. A C++ exception fn
// throws is caught inside the PG_TRY block and rethrown after PG_END_TRY.
template <typename Fn>
auto pg(Fn &&fn) -> decltype(fn()) {
	using R = decltype(fn());
	static_assert(std::is_void_v<R> || std::is_trivially_copyable_v<R>,
	              "values crossing a Postgres call must be trivially copyable");
	// Lives in this frame, above the sigsetjmp: a longjmp never skips it.
	struct Call {
		std::remove_reference_t<Fn> *fn;
		std::conditional_t<std::is_void_v<R>, bool, R> result;
		std::exception_ptr thrown;
	} call{&fn, {}, {}};
	auto thunk = [](void *c) noexcept {
		auto *cl = static_cast<Call *>(c);
		try {
			if constexpr (std::is_void_v<R>)
				(*cl->fn)();
			else
				cl->result = (*cl->fn)();
		} catch (...) {
			cl->thrown = std::current_exception();
		}
	};
	if (ErrorData *error = detail::catch_pg_error(thunk, &call))
		throw PgError(error);
	if (call.thrown)
		std::rethrow_exception(call.thrown);
	if constexpr (!std::is_void_v<R>)
		return call.result;
}

}  // namespace pp

// Defines the extern "C" entry point `name` around the C++ body that follows.
#define PP_FUNCTION(name)                                                        \
	extern "C" {                                                                 \
	PG_FUNCTION_INFO_V1(name);                                                   \
	}                                                                            \
	static Datum name##_body(FunctionCallInfo fcinfo);                           \
	extern "C" Datum name(PG_FUNCTION_ARGS)                                      \
	{                                                                            \
		return pp::detail::run_guarded(fcinfo, name##_body, #name);              \
	}                                                                            \
	static Datum name##_body(FunctionCallInfo fcinfo)
