// Finding a person's active primary location, or a pair's active row, as
// the primary rule needs them: each row judged by its newest version, writes
// still in progress waited for (docs/concurrency.md, "Why the primary rule
// is race-free"). Used by the person_locations triggers.
#pragma once

#include "pg.hpp"
#include "pivot_rules.hpp"

namespace pp::active {

// An active row found through one of the table's unique indexes.
struct Row {
	bool found;
	ItemPointerData tid;        // of the row's newest version
	int32 location_pk;
	bool own;                   // that version is this transaction's
	TransactionId in_progress;  // another transaction is writing this row (or Invalid)
	uint32 speculative_token;   // ... as a speculative insertion (ON CONFLICT), or 0
};

// The person's active primary other than row `self_pk`, through
// uniq_person_locations_primary_person. A writer still at work on it is
// reported in the result, not waited for.
Row primary(Relation rel, const rules::Columns &cols, int32 person_pk, int32 self_pk);

// Waits for the transaction writing `row`, if any; says whether it waited
// (then look again: the row may have changed).
bool wait_for_writer(Relation rel, const Row &row);

// The pair's active row other than `self_pk`, once no other transaction is
// writing it: an INSERT of the pair will then not add a row (it fails on
// the pair index, or ON CONFLICT decides). Probes and waits; locks nothing.
Row settled_pair(Relation rel, const rules::Columns &cols, int32 person_pk, int32 location_pk, int32 self_pk);

// Whether the pair has an active row (settled_pair), and if so locks it
// FOR NO KEY UPDATE as ON CONFLICT would: PostgreSQL's own conflict
// pre-check can miss a row an UPDATE moves meanwhile. When that row is the
// person's current primary, also takes the person lock if it is free.
bool lock_settled_pair(Relation rel, const rules::Columns &cols, int32 person_pk, int32 location_pk,
                       int32 self_pk);

}  // namespace pp::active
