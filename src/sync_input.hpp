// The input of the sync functions, parsed into a page: plain arrays of
// people and entries (sync_diff.hpp types) in palloc'd memory, ready for
// resolution and the diff. Parsing checks the shape of the input: every
// error names the first offending value in input order and its person.
//
// These functions call Postgres directly and hold only trivially
// destructible locals (boundary.hpp); errors are thrown as pp::Error.
#pragma once

#include "pg.hpp"
#include "sync_diff.hpp"

namespace pp::sync {

enum class Kind { media, locations };

struct SyncPage {
	Kind kind;
	MemoryContext cxt;         // owns the arrays; a child of the caller's context
	MemoryContext person_cxt;  // scratch for one person's input, reset for each person
	Person *people;
	uint32 npeople, people_cap;
	Entry *entries;
	uint32 nentries, entries_cap;
};

// An empty page in a new memory context under CurrentMemoryContext.
SyncPage *page_create(Kind kind);
// Frees the page and everything parsed into it.
void page_free(SyncPage *page);

// sync_person_media(person_id, media_ids): one person, a uuid[].
void page_add_media_array(SyncPage *page, Datum person_id, ArrayType *media_ids);
// sync_person_locations(person_id, locations): one person, a jsonb array.
void page_add_locations(SyncPage *page, Datum person_id, Jsonb *locations);
// The batch forms: {"<person_id>": <list>, ...}, lists as above.
void page_add_people(SyncPage *page, Jsonb *people);

// Refuses a page that names one person twice (two spellings of one uuid).
void page_check_people(const SyncPage *page);

}  // namespace pp::sync
