// Every error person_pivots raises, in one place: SQLSTATE, message in
// PostgreSQL style (lower case, no final period, names the value), hint.
// Anything a client can cause is class 22 or 23, so Hasura passes the
// message through; install-time and administration errors use the catalog
// classes (42xxx) because only the DBA running CREATE EXTENSION or the
// person_pivots_internal functions can cause them.
#pragma once

#include "boundary.hpp"

#include <cstdint>
#include <string>

namespace pp::errors {

// arguments and input values
Error null_argument(const char *argument);
Error invalid_argument(const char *argument, const std::string &value, const char *why);
Error person_not_found(const std::string &person_id);
Error target_not_found(const char *kind, const std::string &target_id);
Error workspace_not_found(const std::string &workspace_id);
// a Hasura session (argument or hasura.user) that grants no clear scope
Error session_not_object(const char *source, const std::string &found);
Error session_workspace_invalid(const char *source, const std::string &value);
Error session_without_workspace(const char *source, const std::string &role);
Error label_too_long(const std::string &location_id, const std::string &person_id);
Error label_missing(const std::string &location_id, const std::string &person_id);
Error several_primaries(const std::string &person_id);
Error link_not_found(const std::string &person_id, const char *kind, const std::string &target_id);

// row rules enforced by the triggers
Error insert_deleted(const char *table);
Error frozen_row(const char *table, int32_t pk);
Error undelete(const char *table, int32_t pk);
Error endpoint_change(const char *table, const char *column, int32_t pk);
Error truncate_refused(const char *table);
Error pk_missing(const char *kind, int32_t pk);  // kind: "person", "media", "location"
Error workspace_mismatch(const char *kind, int32_t person_pk, int32_t person_ws, int32_t target_pk,
                         int32_t target_ws);
Error primary_exists(int32_t person_pk);

// install and adoption (CREATE EXTENSION)
Error host_table_missing(const char *table);
Error host_column_missing(const char *table, const char *column);
// the host contract, at install and after any change to a host table
Error host_column_type(const char *table, const char *column, const char *found, const char *required);
Error host_primary_key_missing(const char *table, const char *column);
Error host_unique_missing(const char *table, const char *column);
Error pivot_shape(const char *table, const char *column, const char *expected);
Error pivot_rows_break_rule(const char *table, const char *rule, const std::string &offenders,
                            const char *repair);
// an installer (install_tables, install_api) called outside its extension scripts
Error outside_extension_script(const char *function, const char *statements);

// a trigger function called directly or fired by a trigger of another kind
Error not_fired_as_trigger(const char *function);
Error fired_at_wrong_time(const char *function, const char *level);

// administration (person_pivots_internal functions; superuser or owner only)
Error pivot_table_missing(const char *table);

// purge_person called by an application role (it can write a pivot table
// without owning it), even one granted EXECUTE
Error purge_by_application_role(const char *role, const char *table);

// sync input (person_pivots.sync_person_*): `subject` says where the value
// sits, e.g. "element 2 of the media list of person <uuid>"
Error sync_null(const std::string &subject);
Error sync_shape(const std::string &subject, const char *expected, const char *found, const char *hint);
Error sync_bad_uuid(const std::string &subject, const std::string &value);
Error sync_unknown_key(const std::string &key, const std::string &subject);
Error sync_duplicate_person(const std::string &person_id);
Error sync_conflicting_duplicate(const std::string &location_id, const std::string &person_id);
Error sync_target_not_found(const char *kind, const std::string &target_id, const std::string &person_id);
Error sync_target_other_workspace(const char *kind, const std::string &target_id, const std::string &person_id);

}  // namespace pp::errors
