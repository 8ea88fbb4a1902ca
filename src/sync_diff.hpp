// The pure core of the sync functions: uuid parsing, identity lookup and
// the per-person diff between a person's active links and the input.
//
// Plain C++17 over Boost.Container, no PostgreSQL header (sync_diff.cpp
// enforces it with a static_assert), so it is unit-tested on its own
// (test/unit). Its interface is plain data only: caller-owned arrays of
// trivially copyable structs in, caller-owned arrays out. The Boost
// containers live inside these functions, so a Postgres frame can call them
// directly (they never call back into Postgres; they may throw
// std::bad_alloc, which the entry point's boundary reports).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pp::sync {

// A uuid as its 16 bytes; ordered like PostgreSQL's uuid type (memcmp).
struct Uuid {
	std::uint8_t bytes[16];
};
bool operator<(const Uuid &a, const Uuid &b);
bool operator==(const Uuid &a, const Uuid &b);
inline bool operator!=(const Uuid &a, const Uuid &b) { return !(a == b); }

// Parses uuid text with PostgreSQL's uuid_in grammar: 32 hex digits (either
// case), optionally in braces, with an optional '-' after any group of four
// digits but the last. `text` need not be NUL-terminated.
bool parse_uuid(const char *text, std::size_t len, Uuid &out);
// Canonical text, lower case with hyphens: 36 characters and a NUL.
void format_uuid(const Uuid &id, char out[37]);
// The canonical text of a uuid in a fixed buffer: no allocation, cannot
// fail, so it is safe to build messages with between Postgres calls.
struct UuidText {
	char text[37];
};
UuidText uuid_text(const Uuid &id);

// A label: bytes in the server encoding, not NUL-terminated.
struct Label {
	const char *data;
	std::uint32_t len;
};
bool operator==(const Label &a, const Label &b);
inline bool operator!=(const Label &a, const Label &b) { return !(a == b); }

// One person of a sync page. Its input entries are entries[first, first + count).
struct Person {
	Uuid id;
	std::int32_t pk;  // filled in by resolution
	std::int32_t workspace_pk;
	bool has_workspace;
	std::uint32_t first, count;
};

// One input entry: a media id, or a location with its label and flags.
struct Entry {
	Uuid id;
	std::int32_t pk;  // filled in by resolution
	Label label;      // locations only
	bool is_primary, is_legal;
};

// A uuid found in a host table, with its pk and workspace.
struct Resolved {
	Uuid id;
	std::int32_t pk;
	std::int32_t workspace_pk;
	bool has_workspace;
};
// Sorts by id, for find_resolved.
void sort_resolved(Resolved *rows, std::size_t n);
// The row with this id in rows sorted by sort_resolved, or nullptr.
const Resolved *find_resolved(const Resolved *rows, std::size_t n, const Uuid &id);

// Sorts ids and removes repeats; returns how many distinct ids remain.
std::size_t sort_unique(Uuid *ids, std::size_t n);

// Index of the first person (in input order) whose id an earlier person
// already has, or n when all ids differ.
std::size_t first_repeated(const Person *people, std::size_t n);

// What is wrong with one person's location entries, by uuid: two entries
// marking different locations primary, or one location listed twice with
// different label or flags. `index` is the offending entry (the later one
// of the pair, relative to `entries`); the first problem in input order wins.
struct EntryProblem {
	enum Kind { none, several_primaries, conflicting_duplicate } kind;
	std::size_t index;
};
EntryProblem check_location_entries(const Entry *entries, std::size_t n);

// -- media ------------------------------------------------------------------

// An active row of core_api.person_media. `row` is the caller's handle on
// it (e.g. its index in a result set), handed back for the rows that stay.
struct MediaRow {
	std::int32_t pk, person_pk, media_pk;
	std::uint32_t row;
};

// The writes that make the page's active media equal the input, and the
// rows that stay as they are. Arrays are the caller's: delete_pks and
// kept_rows hold at least as many as there are current rows;
// insert_person/insert_media at least as many as there are entries.
struct MediaPlan {
	std::int32_t *delete_pks;
	std::size_t n_delete;
	std::int32_t *insert_person, *insert_media;
	std::size_t n_insert;
	std::uint32_t *kept_rows;
	std::size_t n_kept;
};

// Diffs every person of the page against its current rows. Sorts `people`
// by pk and `current` by (person_pk, media_pk), in place. Persons must have
// distinct pks, and every entry a resolved pk. Repeated entries count once;
// inserts keep each person's input order; rows that stay are in no list.
void plan_media(Person *people, std::size_t npeople, const Entry *entries, MediaRow *current,
                std::size_t ncurrent, MediaPlan &plan);

// -- locations --------------------------------------------------------------

// An active row of core_api.person_locations; `row` as in MediaRow.
struct LocationRow {
	std::int32_t pk, person_pk, location_pk;
	Label label;
	bool is_primary, is_legal;
	std::uint32_t row;
};

// New values for an existing row.
struct LocationChange {
	std::int32_t pk;
	Label label;
	bool is_primary, is_legal;
};

// A row to insert.
struct LocationInsert {
	std::int32_t person_pk, location_pk;
	Label label;
	bool is_primary, is_legal;
};

// The writes that make the page's active locations equal the input, in the
// order they must run so that no statement ever sees two active primaries
// of one person: deletes, then changes (including demotions), then
// promotions of existing rows, then inserts (which may carry the primary).
// Rows that stay exactly as they are are listed in kept_rows. Capacities:
// delete_pks, changes, promotions and kept_rows at least the number of
// current rows; inserts at least the number of entries.
struct LocationPlan {
	std::int32_t *delete_pks;
	std::size_t n_delete;
	LocationChange *changes;
	std::size_t n_changes;
	LocationChange *promotions;
	std::size_t n_promotions;
	LocationInsert *inserts;
	std::size_t n_insert;
	std::uint32_t *kept_rows;
	std::size_t n_kept;
};

// Like plan_media, for locations. Each person's entries must have passed
// check_location_entries (at most one primary, duplicates identical).
void plan_locations(Person *people, std::size_t npeople, const Entry *entries, LocationRow *current,
                    std::size_t ncurrent, LocationPlan &plan);

}  // namespace pp::sync
