// Parsing of the sync functions' input (see sync_input.hpp) with the jsonb
// iterator API: no text round trip, labels point into the argument itself
// (alive for the whole call), uuids are parsed from the jsonb strings in
// place. Each person's list is walked in the page's person context, reset
// before the next person, so a long page leaves no per-person garbage.
#include "sync_input.hpp"
#include "errors.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/array.h"
}

#include <cstring>

namespace pp::sync {

namespace {

constexpr int label_max_chars = 255;
constexpr int quoted_max_bytes = 64;  // raw input quoted in a message

constexpr const char *people_hint =
	"people maps each person_id to its list: {\"<person_id>\": [\"<media_id>\", ...], ...} for media, "
	"{\"<person_id>\": [{\"location_id\": ..., \"label\": ...}, ...], ...} for locations.";
constexpr const char *media_hint = "A media list is a json array of media_id strings.";
constexpr const char *locations_hint =
	"Locations are a json array of objects {\"location_id\": uuid, \"label\": text, \"is_primary\": bool, "
	"\"is_legal\": bool}; label is required, the flags default to false.";

// "a string", "an object", ... for messages.
const char *json_type(const JsonbValue &v) {
	switch (v.type) {
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v.val.binary.data) ? "an array" : "an object";
		default:
			return "a json value";
	}
}

const char *root_type(Jsonb *jb) {
	if (JB_ROOT_IS_SCALAR(jb)) {
		JsonbValue v;
		JsonbExtractScalar(&jb->root, &v);
		return json_type(v);
	}
	return JB_ROOT_IS_ARRAY(jb) ? "an array" : "an object";
}

// The first bytes of raw input, cut at a character boundary.
int quoted_len(const char *s, int len) {
	return len <= quoted_max_bytes ? len : pg_mbcliplen(s, len, quoted_max_bytes);
}

[[noreturn]] void bad_uuid(const char *subject, const char *s, int len) {
	int n = quoted_len(s, len);
	throw errors::sync_bad_uuid(subject, std::string(s, n) + (n < len ? "..." : ""));
}

// Grows an array of `size`-byte items in the page context to hold `need`.
void *reserve(SyncPage *page, void *items, uint32 *cap, uint32 need, size_t size) {
	if (need <= *cap)
		return items;
	uint32 cap2 = *cap ? *cap : 16;
	while (cap2 < need)
		cap2 = cap2 > PG_UINT32_MAX / 2 ? need : cap2 * 2;
	Size bytes = static_cast<Size>(cap2) * size;
	items = items ? repalloc_huge(items, bytes) : MemoryContextAllocHuge(page->cxt, bytes);
	*cap = cap2;
	return items;
}

void reserve_people(SyncPage *page, uint32 more) {
	page->people = static_cast<Person *>(
		reserve(page, page->people, &page->people_cap, page->npeople + more, sizeof(Person)));
}

void reserve_entries(SyncPage *page, uint32 more) {
	page->entries = static_cast<Entry *>(
		reserve(page, page->entries, &page->entries_cap, page->nentries + more, sizeof(Entry)));
}

// Starts a person whose entries follow.
Person *begin_person(SyncPage *page, const Uuid &id) {
	reserve_people(page, 1);
	Person *p = &page->people[page->npeople++];
	*p = Person{id, -1, 0, false, page->nentries, 0};
	return p;
}

Entry *new_entry(SyncPage *page, Person *p) {
	reserve_entries(page, 1);
	Entry *e = &page->entries[page->nentries++];
	std::memset(e, 0, sizeof *e);
	e->pk = -1;
	p->count++;
	return e;
}

Uuid uuid_of(Datum uuid) {
	Uuid id;
	std::memcpy(id.bytes, DatumGetUUIDP(uuid)->data, sizeof id.bytes);
	return id;
}

// One jsonb media list (an array of uuid strings) of person `p`.
void parse_media_list(SyncPage *page, Person *p, JsonbContainer *list, const char *person) {
	reserve_entries(page, JsonContainerSize(list));
	JsonbIterator *it = JsonbIteratorInit(list);
	JsonbValue v;
	JsonbIteratorToken token;
	uint32 position = 0;
	char subject[160];
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
		if (token != WJB_ELEM)
			continue;
		position++;
		if (v.type != jbvString) {
			snprintf(subject, sizeof subject, "element %u of the media list of person %s", position, person);
			if (v.type == jbvNull)
				throw errors::sync_null(subject);
			throw errors::sync_shape(subject, "a uuid string", json_type(v), media_hint);
		}
		Entry *e = new_entry(page, p);
		if (!parse_uuid(v.val.string.val, v.val.string.len, e->id)) {
			snprintf(subject, sizeof subject, "element %u of the media list of person %s", position, person);
			bad_uuid(subject, v.val.string.val, v.val.string.len);
		}
	}
}

enum class LocationKey { location_id, label, is_primary, is_legal, unknown };

LocationKey location_key(const JsonbValue &key) {
	auto is = [&](const char *name) {
		return key.val.string.len == static_cast<int>(strlen(name)) &&
		       memcmp(key.val.string.val, name, key.val.string.len) == 0;
	};
	if (is("location_id"))
		return LocationKey::location_id;
	if (is("label"))
		return LocationKey::label;
	if (is("is_primary"))
		return LocationKey::is_primary;
	if (is("is_legal"))
		return LocationKey::is_legal;
	return LocationKey::unknown;
}

// A flag: absent or null is false.
bool flag(const JsonbValue *v, bool present, const char *name, const char *location, const char *person) {
	if (!present || v->type == jbvNull)
		return false;
	if (v->type != jbvBool) {
		char subject[200];
		snprintf(subject, sizeof subject, "%s of location %s for person %s", name, location, person);
		throw errors::sync_shape(subject, "a boolean", json_type(*v), locations_hint);
	}
	return v->val.boolean;
}

// One location object, element `position` of person `p`'s list.
void parse_location(SyncPage *page, Person *p, JsonbContainer *object, uint32 position, const char *person) {
	char subject[200];
	snprintf(subject, sizeof subject, "element %u of the locations of person %s", position, person);
	JsonbValue values[4];
	bool present[4] = {false, false, false, false};
	JsonbIterator *it = JsonbIteratorInit(object);
	JsonbValue v;
	JsonbIteratorToken token;
	LocationKey key = LocationKey::unknown;
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
		if (token == WJB_KEY) {
			key = location_key(v);
			if (key == LocationKey::unknown) {
				int n = quoted_len(v.val.string.val, v.val.string.len);
				throw errors::sync_unknown_key(std::string(v.val.string.val, n) + (n < v.val.string.len ? "..." : ""),
				                               subject);
			}
		} else if (token == WJB_VALUE) {
			values[static_cast<int>(key)] = v;
			present[static_cast<int>(key)] = true;
		}
	}

	// location_id first: the other messages name it
	const JsonbValue &id = values[static_cast<int>(LocationKey::location_id)];
	char id_subject[240];
	snprintf(id_subject, sizeof id_subject, "location_id of %s", subject);
	if (!present[static_cast<int>(LocationKey::location_id)] || id.type == jbvNull)
		throw errors::sync_null(id_subject);
	if (id.type != jbvString)
		throw errors::sync_shape(id_subject, "a uuid string", json_type(id), locations_hint);
	Entry *e = new_entry(page, p);
	if (!parse_uuid(id.val.string.val, id.val.string.len, e->id))
		bad_uuid(id_subject, id.val.string.val, id.val.string.len);
	UuidText location = uuid_text(e->id);

	const JsonbValue &label = values[static_cast<int>(LocationKey::label)];
	if (!present[static_cast<int>(LocationKey::label)] || label.type == jbvNull)
		throw errors::label_missing(location.text, person);
	if (label.type != jbvString) {
		snprintf(subject, sizeof subject, "label of location %s for person %s", location.text, person);
		throw errors::sync_shape(subject, "a string", json_type(label), locations_hint);
	}
	// at most 4 bytes a character: only a long label needs counting
	if (label.val.string.len > label_max_chars &&
	    pg_mbstrlen_with_len(label.val.string.val, label.val.string.len) > label_max_chars)
		throw errors::label_too_long(location.text, person);
	e->label = {label.val.string.val, static_cast<uint32_t>(label.val.string.len)};
	e->is_primary = flag(&values[static_cast<int>(LocationKey::is_primary)],
	                     present[static_cast<int>(LocationKey::is_primary)], "is_primary", location.text, person);
	e->is_legal = flag(&values[static_cast<int>(LocationKey::is_legal)],
	                   present[static_cast<int>(LocationKey::is_legal)], "is_legal", location.text, person);
}

// One jsonb location list (an array of objects) of person `p`, then the
// checks across its entries (one primary, repeats identical).
void parse_location_list(SyncPage *page, Person *p, JsonbContainer *list, const char *person) {
	reserve_entries(page, JsonContainerSize(list));
	JsonbIterator *it = JsonbIteratorInit(list);
	JsonbValue v;
	JsonbIteratorToken token;
	uint32 position = 0;
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
		if (token != WJB_ELEM)
			continue;
		position++;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data)) {
			char subject[160];
			snprintf(subject, sizeof subject, "element %u of the locations of person %s", position, person);
			if (v.type == jbvNull)
				throw errors::sync_null(subject);
			throw errors::sync_shape(subject, "a json object", json_type(v), locations_hint);
		}
		parse_location(page, p, v.val.binary.data, position, person);
	}
	EntryProblem problem = check_location_entries(page->entries + p->first, p->count);
	if (problem.kind == EntryProblem::several_primaries)
		throw errors::several_primaries(person);
	if (problem.kind == EntryProblem::conflicting_duplicate)
		throw errors::sync_conflicting_duplicate(uuid_text(page->entries[p->first + problem.index].id).text, person);
}

// Runs parse(person_cxt) for one person with the person context current.
template <typename Parse>
void in_person_context(SyncPage *page, Parse parse) {
	MemoryContextReset(page->person_cxt);
	MemoryContext caller = MemoryContextSwitchTo(page->person_cxt);
	try {
		parse();
	} catch (...) {
		MemoryContextSwitchTo(caller);  // the boundary raises the error in the caller's context
		throw;
	}
	MemoryContextSwitchTo(caller);
}

}  // namespace

SyncPage *page_create(Kind kind) {
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "person_pivots sync page", ALLOCSET_DEFAULT_SIZES);
	SyncPage *page = static_cast<SyncPage *>(MemoryContextAllocZero(cxt, sizeof(SyncPage)));
	page->kind = kind;
	page->cxt = cxt;
	page->person_cxt = AllocSetContextCreate(cxt, "person_pivots sync person", ALLOCSET_SMALL_SIZES);
	return page;
}

void page_free(SyncPage *page) {
	MemoryContextDelete(page->cxt);
}

void page_add_media_array(SyncPage *page, Datum person_id, ArrayType *media_ids) {
	Person *p = begin_person(page, uuid_of(person_id));
	UuidText person = uuid_text(p->id);
	in_person_context(page, [&] {
		Datum *elems;
		bool *nulls;
		int n;
		deconstruct_array(media_ids, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
		reserve_entries(page, static_cast<uint32>(n));
		for (int i = 0; i < n; i++) {
			if (nulls[i]) {
				char subject[160];
				snprintf(subject, sizeof subject, "element %d of media_ids of person %s", i + 1, person.text);
				throw errors::sync_null(subject);
			}
			new_entry(page, p)->id = uuid_of(elems[i]);
		}
	});
}

void page_add_locations(SyncPage *page, Datum person_id, Jsonb *locations) {
	Person *p = begin_person(page, uuid_of(person_id));
	UuidText person = uuid_text(p->id);
	if (!JB_ROOT_IS_ARRAY(locations) || JB_ROOT_IS_SCALAR(locations)) {
		char subject[120];
		snprintf(subject, sizeof subject, "the locations of person %s", person.text);
		throw errors::sync_shape(subject, "a json array", root_type(locations), locations_hint);
	}
	in_person_context(page, [&] { parse_location_list(page, p, &locations->root, person.text); });
}

void page_add_people(SyncPage *page, Jsonb *people) {
	if (!JB_ROOT_IS_OBJECT(people))
		throw errors::sync_shape("people", "a json object", root_type(people), people_hint);
	reserve_people(page, JsonContainerSize(&people->root));
	JsonbIterator *it = JsonbIteratorInit(&people->root);
	JsonbValue v;
	JsonbIteratorToken token;
	Uuid id;
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
		if (token == WJB_KEY) {
			if (!parse_uuid(v.val.string.val, v.val.string.len, id))
				bad_uuid("a person_id key of people", v.val.string.val, v.val.string.len);
			continue;
		}
		if (token != WJB_VALUE)
			continue;
		Person *p = begin_person(page, id);
		UuidText person = uuid_text(id);
		bool media = page->kind == Kind::media;
		if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data)) {
			char subject[120];
			snprintf(subject, sizeof subject, "the %s of person %s", media ? "media list" : "locations", person.text);
			if (v.type == jbvNull)
				throw errors::sync_null(subject);
			throw errors::sync_shape(subject, "a json array", json_type(v), media ? media_hint : locations_hint);
		}
		JsonbContainer *list = v.val.binary.data;
		in_person_context(page, [&] {
			if (media)
				parse_media_list(page, p, list, person.text);
			else
				parse_location_list(page, p, list, person.text);
		});
	}
}

void page_check_people(const SyncPage *page) {
	size_t i = first_repeated(page->people, page->npeople);
	if (i < page->npeople)
		throw errors::sync_duplicate_person(uuid_text(page->people[i].id).text);
}

}  // namespace pp::sync
