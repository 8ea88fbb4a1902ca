// The one door between C++ and PostgreSQL.
//
// Postgres reports errors with siglongjmp; C++ with exceptions. Neither may
// cross the other's frames: a longjmp over a frame that owns a destructor is
// undefined behaviour, and an exception escaping into Postgres kills the
// backend. Two tools keep them apart:
//
//   PP_FUNCTION(name)  every SQL-callable entry point. Runs the body inside
//                      try/catch; an escaping exception becomes ereport(ERROR)
//                      with its SQLSTATE, raised only after the catch block
//                      ended, i.e. after every destructor ran. A Postgres
//                      error raised inside the body longjmps through it
//                      unchanged.
//   pp::Error          what our own code throws: SQLSTATE + message + hint.
//
// So code that calls Postgres (which may longjmp) holds only trivially
// destructible locals: palloc'd memory, Datums, plain structs. C++ objects
// with destructors (std::string, Boost containers) are alive only where no
// Postgres function is called: inside the pure core (sync_diff), the error
// factories (errors.cpp) and a throw expression. sql/boundary.sql tests
// this boundary as the shipped library has it.
#pragma once

#include "pg.hpp"

#include <exception>
#include <string>
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

namespace detail {
// Runs impl(fcinfo) and turns any escaping C++ exception into ereport.
Datum run_guarded(FunctionCallInfo fcinfo, Datum (*impl)(FunctionCallInfo), const char *name);
}  // namespace detail

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
