// _PG_init: the module's settings.
#include "host_contract.hpp"
#include "pg.hpp"
#include "settings.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace {

int primary_conflict_setting = 0;

const struct config_enum_entry primary_conflict_options[] = {
	{"demote", static_cast<int>(pp::settings::PrimaryConflict::demote), false},
	{"error", static_cast<int>(pp::settings::PrimaryConflict::error), false},
	{nullptr, 0, false},
};

}  // namespace

namespace pp::settings {

PrimaryConflict primary_conflict() {
	return static_cast<PrimaryConflict>(primary_conflict_setting);
}

}  // namespace pp::settings

// primary_conflict is a user setting on purpose (design rule 5: a session
// may choose strict mode). It only turns the session's own demotions into
// errors and never weakens the rule: docs/security.md, "The strict-mode
// setting".
void _PG_init(void) {
	DefineCustomEnumVariable(
		"person_pivots.primary_conflict",
		"What making a second active primary location for a person does.",
		"demote (default): the person's previous primary stops being primary in the same statement. "
		"error: the write fails with SQLSTATE 23505.",
		&primary_conflict_setting, static_cast<int>(pp::settings::PrimaryConflict::demote),
		primary_conflict_options, PGC_USERSET, 0, nullptr, nullptr, nullptr);
	MarkGUCPrefixReserved("person_pivots");
	// Whatever a backend derives from the host tables follows their changes.
	pp::contract::register_callbacks();
}
