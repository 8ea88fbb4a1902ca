// The pure sync core (see sync_diff.hpp).
#include "sync_diff.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstring>

// The core must stay free of PostgreSQL: nothing above may have pulled in
// pg.hpp (which defines the marker) or postgres.h (whose guard is POSTGRES_H).
#ifdef PERSON_PIVOTS_USES_POSTGRES
static_assert(false, "sync_diff must not include pg.hpp or any PostgreSQL header");
#endif
#ifdef POSTGRES_H
static_assert(false, "sync_diff must not include postgres.h");
#endif

namespace pp::sync {

namespace bc = boost::container;

bool operator<(const Uuid &a, const Uuid &b) {
	return std::memcmp(a.bytes, b.bytes, sizeof a.bytes) < 0;
}

bool operator==(const Uuid &a, const Uuid &b) {
	return std::memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
}

bool operator==(const Label &a, const Label &b) {
	return a.len == b.len && (a.len == 0 || std::memcmp(a.data, b.data, a.len) == 0);
}

namespace {

int hex_value(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

}  // namespace

bool parse_uuid(const char *text, std::size_t len, Uuid &out) {
	std::size_t pos = 0;
	bool braces = len > 0 && text[0] == '{';
	if (braces)
		pos = 1;
	for (int i = 0; i < 16; i++) {
		if (pos + 2 > len)
			return false;
		int hi = hex_value(text[pos]), lo = hex_value(text[pos + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
		pos += 2;
		// a hyphen may follow any group of four digits except the last
		if (pos < len && text[pos] == '-' && i % 2 == 1 && i < 15)
			pos++;
	}
	if (braces) {
		if (pos >= len || text[pos] != '}')
			return false;
		pos++;
	}
	return pos == len;
}

void format_uuid(const Uuid &id, char out[37]) {
	static const char digits[] = "0123456789abcdef";
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[id.bytes[i] >> 4];
		out[o++] = digits[id.bytes[i] & 0xf];
	}
	out[o] = '\0';
}

UuidText uuid_text(const Uuid &id) {
	UuidText t;
	format_uuid(id, t.text);
	return t;
}

void sort_resolved(Resolved *rows, std::size_t n) {
	std::sort(rows, rows + n, [](const Resolved &a, const Resolved &b) { return a.id < b.id; });
}

const Resolved *find_resolved(const Resolved *rows, std::size_t n, const Uuid &id) {
	const Resolved *end = rows + n;
	const Resolved *it = std::lower_bound(rows, end, id, [](const Resolved &r, const Uuid &key) { return r.id < key; });
	return it != end && it->id == id ? it : nullptr;
}

std::size_t sort_unique(Uuid *ids, std::size_t n) {
	std::sort(ids, ids + n);
	return static_cast<std::size_t>(std::unique(ids, ids + n) - ids);
}

namespace {

// An id and where it stood in the input.
struct Occurrence {
	Uuid id;
	std::size_t index;
	bool operator<(const Occurrence &o) const { return id < o.id || (id == o.id && index < o.index); }
};
using Occurrences = bc::small_vector<Occurrence, 64>;

}  // namespace

std::size_t first_repeated(const Person *people, std::size_t n) {
	Occurrences seen;
	seen.reserve(n);
	for (std::size_t i = 0; i < n; i++)
		seen.push_back({people[i].id, i});
	std::sort(seen.begin(), seen.end());
	std::size_t first = n;
	for (std::size_t i = 1; i < seen.size(); i++)
		if (seen[i].id == seen[i - 1].id)
			first = std::min(first, seen[i].index);
	return first;
}

EntryProblem check_location_entries(const Entry *entries, std::size_t n) {
	EntryProblem problem = {EntryProblem::none, n};
	// two different locations marked primary: the second one is the culprit
	const Entry *primary = nullptr;
	for (std::size_t i = 0; i < n; i++) {
		if (!entries[i].is_primary)
			continue;
		if (!primary) {
			primary = &entries[i];
		} else if (primary->id != entries[i].id) {
			problem = {EntryProblem::several_primaries, i};
			break;
		}
	}
	// repeats must say the same as the first occurrence of their id
	Occurrences order;
	order.reserve(n);
	for (std::size_t i = 0; i < n; i++)
		order.push_back({entries[i].id, i});
	std::sort(order.begin(), order.end());
	for (std::size_t i = 1; i < order.size(); i++) {
		if (order[i].id != order[i - 1].id)
			continue;
		const Entry &a = entries[order[i - 1].index];  // same id, earlier index, already checked
		const Entry &b = entries[order[i].index];
		bool same = a.label == b.label && a.is_primary == b.is_primary && a.is_legal == b.is_legal;
		if (!same && order[i].index < problem.index)
			problem = {EntryProblem::conflicting_duplicate, order[i].index};
	}
	return problem;
}

namespace {

// A wanted target: its pk and the position of its first occurrence.
struct Want {
	std::int32_t pk;
	std::uint32_t pos;
};
using Wants = bc::small_vector<Want, 64>;

// The person's distinct wanted pks, sorted by pk, each with its first position.
void wanted(const Person &p, const Entry *entries, Wants &out) {
	out.clear();
	out.reserve(p.count);
	for (std::uint32_t i = 0; i < p.count; i++)
		out.push_back({entries[p.first + i].pk, i});
	std::sort(out.begin(), out.end(), [](const Want &a, const Want &b) {
		return a.pk < b.pk || (a.pk == b.pk && a.pos < b.pos);
	});
	out.erase(std::unique(out.begin(), out.end(), [](const Want &a, const Want &b) { return a.pk == b.pk; }),
	          out.end());
}

void sort_by_pos(Wants &w) {
	std::sort(w.begin(), w.end(), [](const Want &a, const Want &b) { return a.pos < b.pos; });
}

void sort_people(Person *people, std::size_t n) {
	std::sort(people, people + n, [](const Person &a, const Person &b) { return a.pk < b.pk; });
}

// The half-open range of `rows` (sorted by person_pk) that belongs to
// person_pk, starting the search at *cursor and advancing it.
template <typename Row>
std::pair<std::size_t, std::size_t> rows_of(const Row *rows, std::size_t n, std::size_t *cursor, std::int32_t person_pk) {
	std::size_t i = *cursor;
	while (i < n && rows[i].person_pk < person_pk)
		i++;  // rows of persons outside the page: never touched
	std::size_t begin = i;
	while (i < n && rows[i].person_pk == person_pk)
		i++;
	*cursor = i;
	return {begin, i};
}

}  // namespace

void plan_media(Person *people, std::size_t npeople, const Entry *entries, MediaRow *current, std::size_t ncurrent,
                MediaPlan &plan) {
	plan.n_delete = plan.n_insert = plan.n_kept = 0;
	sort_people(people, npeople);
	std::sort(current, current + ncurrent, [](const MediaRow &a, const MediaRow &b) {
		if (a.person_pk != b.person_pk)
			return a.person_pk < b.person_pk;
		return a.media_pk < b.media_pk || (a.media_pk == b.media_pk && a.pk < b.pk);
	});
	Wants want, fresh;
	std::size_t cursor = 0;
	for (std::size_t p = 0; p < npeople; p++) {
		const Person &person = people[p];
		auto [j, end] = rows_of(current, ncurrent, &cursor, person.pk);
		wanted(person, entries, want);
		fresh.clear();
		std::size_t i = 0;
		while (i < want.size() || j < end) {
			if (j < end && (i == want.size() || current[j].media_pk < want[i].pk)) {
				plan.delete_pks[plan.n_delete++] = current[j++].pk;  // gone
			} else if (j == end || want[i].pk < current[j].media_pk) {
				fresh.push_back(want[i++]);  // new
			} else {
				plan.kept_rows[plan.n_kept++] = current[j].row;  // stays: no write at all
				std::int32_t pk = want[i++].pk;
				for (j++; j < end && current[j].media_pk == pk; j++)
					plan.delete_pks[plan.n_delete++] = current[j].pk;  // a repeat of an active pair
			}
		}
		sort_by_pos(fresh);
		for (const Want &w : fresh) {
			plan.insert_person[plan.n_insert] = person.pk;
			plan.insert_media[plan.n_insert++] = w.pk;
		}
	}
}

void plan_locations(Person *people, std::size_t npeople, const Entry *entries, LocationRow *current,
                    std::size_t ncurrent, LocationPlan &plan) {
	plan.n_delete = plan.n_changes = plan.n_promotions = plan.n_insert = plan.n_kept = 0;
	sort_people(people, npeople);
	std::sort(current, current + ncurrent, [](const LocationRow &a, const LocationRow &b) {
		if (a.person_pk != b.person_pk)
			return a.person_pk < b.person_pk;
		return a.location_pk < b.location_pk || (a.location_pk == b.location_pk && a.pk < b.pk);
	});
	Wants want, fresh;
	std::size_t cursor = 0;
	for (std::size_t p = 0; p < npeople; p++) {
		const Person &person = people[p];
		const Entry *mine = entries + person.first;
		auto [j, end] = rows_of(current, ncurrent, &cursor, person.pk);
		wanted(person, entries, want);
		fresh.clear();
		std::size_t i = 0;
		while (i < want.size() || j < end) {
			if (j < end && (i == want.size() || current[j].location_pk < want[i].pk)) {
				plan.delete_pks[plan.n_delete++] = current[j++].pk;  // gone
			} else if (j == end || want[i].pk < current[j].location_pk) {
				fresh.push_back(want[i++]);  // new
			} else {
				const LocationRow &row = current[j];
				const Entry &e = mine[want[i].pos];
				if (row.label == e.label && row.is_primary == e.is_primary && row.is_legal == e.is_legal)
					plan.kept_rows[plan.n_kept++] = row.row;  // stays as it is: no write at all
				else if (e.is_primary && !row.is_primary)
					plan.promotions[plan.n_promotions++] = {row.pk, e.label, e.is_primary, e.is_legal};
				else
					plan.changes[plan.n_changes++] = {row.pk, e.label, e.is_primary, e.is_legal};
				std::int32_t pk = want[i++].pk;
				for (j++; j < end && current[j].location_pk == pk; j++)
					plan.delete_pks[plan.n_delete++] = current[j].pk;  // a repeat of an active pair
			}
		}
		sort_by_pos(fresh);
		for (const Want &w : fresh) {
			const Entry &e = mine[w.pos];
			plan.inserts[plan.n_insert++] = {person.pk, w.pk, e.label, e.is_primary, e.is_legal};
		}
	}
}

}  // namespace pp::sync
