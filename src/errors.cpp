// The catalogue of person_pivots errors (see errors.hpp). README's error
// table lists the same entries; keep the two in step.
#include "errors.hpp"

#include <cstdarg>
#include <cstdio>

namespace pp::errors {

namespace {

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	std::vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return buf;
}

constexpr const char *scope_hint =
	"An id that does not exist and an id of another workspace are reported alike.";

}  // namespace

Error null_argument(const char *argument) {
	return Error(ERRCODE_NULL_VALUE_NOT_ALLOWED, format("%s must not be null", argument));
}

Error invalid_argument(const char *argument, const std::string &value, const char *why) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE, format("invalid %s: %s", argument, value.c_str()), why);
}

Error person_not_found(const std::string &person_id) {
	return Error(ERRCODE_FOREIGN_KEY_VIOLATION, format("person %s does not exist", person_id.c_str()), {},
	             scope_hint);
}

Error target_not_found(const char *kind, const std::string &target_id) {
	return Error(ERRCODE_FOREIGN_KEY_VIOLATION, format("%s %s does not exist", kind, target_id.c_str()), {},
	             scope_hint);
}

Error workspace_not_found(const std::string &workspace_id) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE, format("workspace %s does not exist", workspace_id.c_str()),
	             {}, "x-hasura-workspace-id must name a row of core_api.workspaces.");
}

Error session_not_object(const char *source, const std::string &found) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE, format("%s must be a JSON object, not %s", source, found.c_str()), {},
	             "Pass the Hasura session variables as an object, e.g. {\"x-hasura-role\": \"user\", "
	             "\"x-hasura-workspace-id\": \"<uuid>\"}.");
}

Error session_workspace_invalid(const char *source, const std::string &value) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE,
	             format("x-hasura-workspace-id of %s is not a uuid: \"%s\"", source, value.c_str()), {},
	             "Give the workspace's uuid as a string, e.g. \"aaaaaaaa-0000-0000-0000-000000000001\".");
}

Error session_without_workspace(const char *source, const std::string &role) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE,
	             format("%s of role \"%s\" names no x-hasura-workspace-id", source, role.c_str()), {},
	             "Only Hasura's admin role may act without a workspace.");
}

Error label_too_long(const std::string &location_id, const std::string &person_id) {
	return Error(ERRCODE_STRING_DATA_RIGHT_TRUNCATION,
	             format("label of location %s for person %s is longer than 255 characters", location_id.c_str(),
	                    person_id.c_str()));
}

Error label_missing(const std::string &location_id, const std::string &person_id) {
	return Error(ERRCODE_NOT_NULL_VIOLATION,
	             format("label of location %s for person %s must not be null", location_id.c_str(),
	                    person_id.c_str()));
}

Error several_primaries(const std::string &person_id) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE,
	             format("locations of person %s mark more than one location as primary", person_id.c_str()), {},
	             "A person has at most one primary location.");
}

Error link_not_found(const std::string &person_id, const char *kind, const std::string &target_id) {
	return Error(ERRCODE_FOREIGN_KEY_VIOLATION,
	             format("person %s has no active link to %s %s", person_id.c_str(), kind, target_id.c_str()), {},
	             "Link it first with person_pivots.link_person_location().");
}

Error insert_deleted(const char *table) {
	return Error(ERRCODE_CHECK_VIOLATION, format("new rows of %s must have deleted_at null", table), {},
	             "Insert the link, then delete it.");
}

Error frozen_row(const char *table, int32_t pk) {
	return Error(ERRCODE_CHECK_VIOLATION, format("row %d of %s is soft-deleted and cannot change", pk, table), {},
	             "Soft-deleted rows are history. Link the pair again to create a new active row.");
}

Error undelete(const char *table, int32_t pk) {
	return Error(ERRCODE_CHECK_VIOLATION, format("deleted_at of row %d of %s cannot be cleared", pk, table), {},
	             "Soft delete is one-way. Link the pair again to create a new active row.");
}

Error endpoint_change(const char *table, const char *column, int32_t pk) {
	return Error(ERRCODE_CHECK_VIOLATION, format("%s of row %d of %s cannot change", column, pk, table), {},
	             "A link never moves: unlink it and link the new pair.");
}

Error truncate_refused(const char *table) {
	return Error(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION, format("cannot truncate %s", table),
	             "Pivot rows are soft-deleted, never physically removed by application roles.",
	             "A maintenance role erases a person's rows with person_pivots.purge_person().");
}

Error pk_missing(const char *kind, int32_t pk) {
	return Error(ERRCODE_FOREIGN_KEY_VIOLATION, format("%s with pk %d does not exist", kind, pk));
}

Error workspace_mismatch(const char *kind, int32_t person_pk, int32_t person_ws, int32_t target_pk,
                         int32_t target_ws) {
	return Error(ERRCODE_CHECK_VIOLATION,
	             format("person %d of workspace %d cannot link %s %d of workspace %d", person_pk, person_ws, kind,
	                    target_pk, target_ws),
	             {}, "A pivot links a person and a target of the same workspace.");
}

Error primary_exists(int32_t person_pk) {
	return Error(ERRCODE_UNIQUE_VIOLATION,
	             format("person %d already has an active primary location", person_pk), {},
	             "person_pivots.primary_conflict is 'error'; demote the current primary first, or set it to 'demote'.");
}

Error host_table_missing(const char *table) {
	return Error(ERRCODE_UNDEFINED_TABLE, format("required table %s does not exist", table), {},
	             "Create the application's host schema (core_api.people or core_api.peoples, core_api.media, "
	             "core_api.locations, core_api.workspaces) before CREATE EXTENSION person_pivots.");
}

Error host_column_missing(const char *table, const char *column) {
	return Error(ERRCODE_UNDEFINED_COLUMN, format("required column %s.%s does not exist", table, column), {},
	             "See the host table requirements in the person_pivots README.");
}

// The host contract is checked at install and again at the first call after
// any change to a host table (docs/design.md, The host contract): the same
// errors, in a fresh backend or a pooled one.
Error host_column_type(const char *table, const char *column, const char *found, const char *required) {
	return Error(ERRCODE_DATATYPE_MISMATCH,
	             format("host column %s.%s is %s, but person_pivots requires %s", table, column, found, required), {},
	             "Give the column the required type: person_pivots never reads a value as another type, and its "
	             "pivot columns are integer (a bigint key is not supported).");
}

Error host_primary_key_missing(const char *table, const char *column) {
	return Error(ERRCODE_INVALID_COLUMN_REFERENCE,
	             format("host table %s has no primary key on %s alone", table, column), {},
	             format("Add PRIMARY KEY (%s) to %s: person_pivots looks rows up by it.", column, table));
}

Error host_unique_missing(const char *table, const char *column) {
	return Error(ERRCODE_INVALID_COLUMN_REFERENCE, format("host column %s.%s has no unique index", table, column), {},
	             format("Create a unique index on %s (%s), without predicate: an id must name one row.", table,
	                    column));
}

Error pivot_shape(const char *table, const char *column, const char *expected) {
	return Error(ERRCODE_DATATYPE_MISMATCH, format("cannot adopt %s: column %s must be %s", table, column, expected),
	             {}, "Alter the existing table to the documented shape, then run CREATE EXTENSION again.");
}

Error pivot_rows_break_rule(const char *table, const char *rule, const std::string &offenders, const char *repair) {
	return Error(ERRCODE_UNIQUE_VIOLATION, format("cannot adopt %s: existing rows break the rule \"%s\"", table, rule),
	             format("First offenders: %s.", offenders.c_str()), format("Repair them with %s.", repair));
}

Error outside_extension_script(const char *function, const char *statements) {
	return Error(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format("%s() runs only inside %s", function, statements));
}

Error not_fired_as_trigger(const char *function) {
	return Error(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
	             format("function \"%s\" must be fired as a trigger", function));
}

Error fired_at_wrong_time(const char *function, const char *level) {
	return Error(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
	             format("function \"%s\" must be fired BEFORE, FOR EACH %s", function, level));
}

Error pivot_table_missing(const char *table) {
	return Error(ERRCODE_UNDEFINED_TABLE, format("pivot table %s does not exist", table), {},
	             "In restore mode the dump brings the pivot tables; run this again once it has been restored.");
}

Error sync_null(const std::string &subject) {
	return Error(ERRCODE_NULL_VALUE_NOT_ALLOWED, format("%s must not be null", subject.c_str()), {},
	             "Leave an entry out instead of sending null.");
}

Error sync_shape(const std::string &subject, const char *expected, const char *found, const char *hint) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE, format("%s must be %s, not %s", subject.c_str(), expected, found),
	             {}, hint);
}

Error sync_bad_uuid(const std::string &subject, const std::string &value) {
	return Error(ERRCODE_INVALID_TEXT_REPRESENTATION,
	             format("invalid uuid for %s: \"%s\"", subject.c_str(), value.c_str()));
}

Error sync_unknown_key(const std::string &key, const std::string &subject) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE, format("unknown key \"%s\" in %s", key.c_str(), subject.c_str()),
	             {}, "A location entry has the keys location_id, label, is_primary and is_legal.");
}

Error sync_duplicate_person(const std::string &person_id) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE, format("person %s appears more than once in people", person_id.c_str()),
	             {}, "List each person once per page; spellings of one uuid name the same person.");
}

Error sync_conflicting_duplicate(const std::string &location_id, const std::string &person_id) {
	return Error(ERRCODE_INVALID_PARAMETER_VALUE,
	             format("location %s is listed twice for person %s with different label or flags", location_id.c_str(),
	                    person_id.c_str()),
	             {}, "List each location once per person; identical repeats count once.");
}

Error sync_target_not_found(const char *kind, const std::string &target_id, const std::string &person_id) {
	return Error(ERRCODE_FOREIGN_KEY_VIOLATION,
	             format("%s %s listed for person %s does not exist", kind, target_id.c_str(), person_id.c_str()), {},
	             scope_hint);
}

Error sync_target_other_workspace(const char *kind, const std::string &target_id, const std::string &person_id) {
	return Error(ERRCODE_CHECK_VIOLATION,
	             format("%s %s listed for person %s belongs to another workspace", kind, target_id.c_str(),
	                    person_id.c_str()),
	             {}, "A pivot links a person and a target of the same workspace.");
}

Error purge_by_application_role(const char *role, const char *table) {
	return Error(ERRCODE_INSUFFICIENT_PRIVILEGE,
	             format("role \"%s\" is an application role of %s and may not call purge_person", role, table),
	             "An application role writes the pivot tables without owning them; erasure is not for it.",
	             "Grant EXECUTE on purge_person to a role of its own that has no privileges on the pivot tables, "
	             "or call it as the tables' owner.");
}

}  // namespace pp::errors
