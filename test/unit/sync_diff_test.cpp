// Unit tests of the pure sync core (src/sync_diff.hpp): uuid text, lookups,
// input checks, and the media and location diffs, including a randomized
// check that applying a plan to the current rows yields exactly the input.
#include "sync_diff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using namespace pp::sync;

namespace {

Uuid uuid_of(const std::string &text) {
	Uuid id;
	EXPECT_TRUE(parse_uuid(text.data(), text.size(), id)) << text;
	return id;
}

Uuid uuid_n(std::uint32_t n) {
	Uuid id{};
	id.bytes[12] = static_cast<std::uint8_t>(n >> 24);
	id.bytes[13] = static_cast<std::uint8_t>(n >> 16);
	id.bytes[14] = static_cast<std::uint8_t>(n >> 8);
	id.bytes[15] = static_cast<std::uint8_t>(n);
	return id;
}

std::string text_of(const Uuid &id) {
	char buf[37];
	format_uuid(id, buf);
	return buf;
}

Label label(const std::string &s) {
	return {s.data(), static_cast<std::uint32_t>(s.size())};
}

// A page under construction: people and their entries.
struct Page {
	std::vector<Person> people;
	std::vector<Entry> entries;
	// Adds a person whose entries are the given target pks.
	void media(std::int32_t person_pk, std::vector<std::int32_t> targets) {
		Person p{uuid_n(person_pk), person_pk, 1, true, static_cast<std::uint32_t>(entries.size()),
		         static_cast<std::uint32_t>(targets.size())};
		for (std::int32_t t : targets)
			entries.push_back({uuid_n(1000000 + t), t, {nullptr, 0}, false, false});
		people.push_back(p);
	}
	struct Loc {
		std::int32_t pk;
		const std::string *label;
		bool primary, legal;
	};
	void locations(std::int32_t person_pk, std::vector<Loc> targets) {
		Person p{uuid_n(person_pk), person_pk, 1, true, static_cast<std::uint32_t>(entries.size()),
		         static_cast<std::uint32_t>(targets.size())};
		for (const Loc &t : targets)
			entries.push_back({uuid_n(2000000 + t.pk), t.pk, label(*t.label), t.primary, t.legal});
		people.push_back(p);
	}
};

// Runs plan_media with buffers of the documented capacities.
// Runs plan_media with buffers of the documented capacities. Each current
// row's handle is its index in `current`; kept lists the pks of the rows
// handed back as staying, in the order the plan gives them.
struct MediaResult {
	std::vector<std::int32_t> deletes;
	std::vector<std::pair<std::int32_t, std::int32_t>> inserts;  // (person_pk, media_pk)
	std::vector<std::int32_t> kept;
};

MediaResult run_media(Page &page, std::vector<MediaRow> current) {
	for (std::size_t i = 0; i < current.size(); i++)
		current[i].row = static_cast<std::uint32_t>(i);
	const std::vector<MediaRow> original = current;
	std::vector<std::int32_t> del(current.size() + 1), ip(page.entries.size() + 1), im(page.entries.size() + 1);
	std::vector<std::uint32_t> kept(current.size() + 1);
	MediaPlan plan{del.data(), 0, ip.data(), im.data(), 0, kept.data(), 0};
	plan_media(page.people.data(), page.people.size(), page.entries.data(), current.data(), current.size(), plan);
	MediaResult r{{del.begin(), del.begin() + plan.n_delete}, {}, {}};
	for (std::size_t i = 0; i < plan.n_insert; i++)
		r.inserts.push_back({ip[i], im[i]});
	for (std::size_t i = 0; i < plan.n_kept; i++)
		r.kept.push_back(original.at(kept[i]).pk);
	return r;
}

struct LocationResult {
	std::vector<std::int32_t> deletes;
	std::vector<LocationChange> changes, promotions;
	std::vector<LocationInsert> inserts;
	std::vector<std::int32_t> kept;
};

LocationResult run_locations(Page &page, std::vector<LocationRow> current) {
	for (std::size_t i = 0; i < current.size(); i++)
		current[i].row = static_cast<std::uint32_t>(i);
	const std::vector<LocationRow> original = current;
	std::vector<std::int32_t> del(current.size() + 1);
	std::vector<LocationChange> ch(current.size() + 1), pr(current.size() + 1);
	std::vector<LocationInsert> ins(page.entries.size() + 1);
	std::vector<std::uint32_t> kept(current.size() + 1);
	LocationPlan plan{del.data(), 0, ch.data(), 0, pr.data(), 0, ins.data(), 0, kept.data(), 0};
	plan_locations(page.people.data(), page.people.size(), page.entries.data(), current.data(), current.size(),
	               plan);
	LocationResult r{{del.begin(), del.begin() + plan.n_delete},
	                 {ch.begin(), ch.begin() + plan.n_changes},
	                 {pr.begin(), pr.begin() + plan.n_promotions},
	                 {ins.begin(), ins.begin() + plan.n_insert},
	                 {}};
	for (std::size_t i = 0; i < plan.n_kept; i++)
		r.kept.push_back(original.at(kept[i]).pk);
	return r;
}

std::string str(const Label &l) {
	return std::string(l.data, l.len);
}

}  // namespace

// -- uuid text ---------------------------------------------------------------

TEST(Uuid, ParsesEveryFormThatUuidInAccepts) {
	Uuid canonical = uuid_of("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	for (const char *form : {"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
	                         "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
	                         "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"}) {
		Uuid id;
		ASSERT_TRUE(parse_uuid(form, std::strlen(form), id)) << form;
		EXPECT_EQ(id, canonical) << form;
	}
	EXPECT_EQ(text_of(canonical), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
}

TEST(Uuid, RejectsWhatUuidInRejects) {
	for (const char *bad : {"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
	                        "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0-eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	                        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	                        "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	                        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	                        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ", "{}", "not a uuid"}) {
		Uuid id;
		EXPECT_FALSE(parse_uuid(bad, std::strlen(bad), id)) << '"' << bad << '"';
	}
	// the length bounds the text: no NUL needed, and an embedded NUL is an error
	const char with_nul[] = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1\0";
	Uuid id;
	EXPECT_FALSE(parse_uuid(with_nul, 36, id));
	EXPECT_TRUE(parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11XYZ", 36, id));
}

TEST(Uuid, OrdersLikePostgresByUnsignedBytes) {
	Uuid low = uuid_of("7fffffff-ffff-ffff-ffff-ffffffffffff");
	Uuid high = uuid_of("80000000-0000-0000-0000-000000000000");
	EXPECT_TRUE(low < high);
	EXPECT_FALSE(high < low);
	EXPECT_NE(low, high);
	for (std::uint32_t n : {0u, 1u, 255u, 256u, 123456789u})
		EXPECT_EQ(uuid_of(text_of(uuid_n(n))), uuid_n(n));
}

// -- lookups and input checks -----------------------------------------------

TEST(Lookup, SortUniqueAndFindResolved) {
	std::vector<Uuid> ids = {uuid_n(5), uuid_n(1), uuid_n(5), uuid_n(3), uuid_n(1)};
	std::size_t n = sort_unique(ids.data(), ids.size());
	ASSERT_EQ(n, 3u);
	EXPECT_EQ(ids[0], uuid_n(1));
	EXPECT_EQ(ids[1], uuid_n(3));
	EXPECT_EQ(ids[2], uuid_n(5));
	EXPECT_EQ(sort_unique(ids.data(), 0), 0u);

	std::vector<Resolved> rows = {{uuid_n(9), 90, 1, true}, {uuid_n(2), 20, 2, true}, {uuid_n(4), 40, 0, false}};
	sort_resolved(rows.data(), rows.size());
	ASSERT_NE(find_resolved(rows.data(), rows.size(), uuid_n(2)), nullptr);
	EXPECT_EQ(find_resolved(rows.data(), rows.size(), uuid_n(2))->pk, 20);
	EXPECT_EQ(find_resolved(rows.data(), rows.size(), uuid_n(9))->pk, 90);
	EXPECT_FALSE(find_resolved(rows.data(), rows.size(), uuid_n(4))->has_workspace);
	EXPECT_EQ(find_resolved(rows.data(), rows.size(), uuid_n(3)), nullptr);
	EXPECT_EQ(find_resolved(rows.data(), rows.size(), uuid_n(10)), nullptr);
	EXPECT_EQ(find_resolved(rows.data(), 0, uuid_n(2)), nullptr);
}

TEST(Lookup, FirstRepeatedPersonInInputOrder) {
	auto person = [](std::uint32_t n) { return Person{uuid_n(n), 0, 0, false, 0, 0}; };
	std::vector<Person> none = {person(1), person(2), person(3)};
	EXPECT_EQ(first_repeated(none.data(), none.size()), 3u);
	EXPECT_EQ(first_repeated(none.data(), 0), 0u);
	// 7 repeats at index 4, 2 at index 3: the earlier repeat is reported
	std::vector<Person> two = {person(7), person(2), person(9), person(2), person(7)};
	EXPECT_EQ(first_repeated(two.data(), two.size()), 3u);
	std::vector<Person> three = {person(4), person(4), person(4)};
	EXPECT_EQ(first_repeated(three.data(), three.size()), 1u);
}

TEST(CheckLocations, PrimariesAndDuplicates) {
	std::string home = "Home", work = "Work";
	auto entry = [](std::uint32_t n, const std::string &l, bool primary, bool legal = false) {
		return Entry{uuid_n(n), 0, label(l), primary, legal};
	};
	EXPECT_EQ(check_location_entries(nullptr, 0).kind, EntryProblem::none);
	std::vector<Entry> one = {entry(1, home, true), entry(2, work, false)};
	EXPECT_EQ(check_location_entries(one.data(), one.size()).kind, EntryProblem::none);
	// an identical repeat counts once, even when primary
	std::vector<Entry> same = {entry(1, home, true), entry(2, work, false), entry(1, home, true)};
	EXPECT_EQ(check_location_entries(same.data(), same.size()).kind, EntryProblem::none);

	std::vector<Entry> two = {entry(1, home, false), entry(2, work, true), entry(3, home, true)};
	EntryProblem p = check_location_entries(two.data(), two.size());
	EXPECT_EQ(p.kind, EntryProblem::several_primaries);
	EXPECT_EQ(p.index, 2u);

	std::vector<Entry> relabel = {entry(1, home, false), entry(2, work, false), entry(1, work, false)};
	p = check_location_entries(relabel.data(), relabel.size());
	EXPECT_EQ(p.kind, EntryProblem::conflicting_duplicate);
	EXPECT_EQ(p.index, 2u);
	std::vector<Entry> reflag = {entry(1, home, false), entry(1, home, false, true)};
	EXPECT_EQ(check_location_entries(reflag.data(), reflag.size()).kind, EntryProblem::conflicting_duplicate);

	// the first problem in input order wins
	std::vector<Entry> both = {entry(1, home, true), entry(1, work, true), entry(2, home, true)};
	p = check_location_entries(both.data(), both.size());
	EXPECT_EQ(p.kind, EntryProblem::conflicting_duplicate);
	EXPECT_EQ(p.index, 1u);
	std::vector<Entry> both2 = {entry(1, home, true), entry(2, home, true), entry(1, work, true)};
	p = check_location_entries(both2.data(), both2.size());
	EXPECT_EQ(p.kind, EntryProblem::several_primaries);
	EXPECT_EQ(p.index, 1u);
}

// -- media diff --------------------------------------------------------------

TEST(PlanMedia, EmptyInputAndNoRows) {
	Page page;
	MediaResult r = run_media(page, {});
	EXPECT_TRUE(r.deletes.empty());
	EXPECT_TRUE(r.inserts.empty());
	EXPECT_TRUE(r.kept.empty());
	page.media(1, {});
	r = run_media(page, {});
	EXPECT_TRUE(r.deletes.empty());
	EXPECT_TRUE(r.inserts.empty());
}

TEST(PlanMedia, AllNewKeepInputOrder) {
	Page page;
	page.media(1, {30, 10, 20});
	MediaResult r = run_media(page, {});
	EXPECT_TRUE(r.deletes.empty());
	std::vector<std::pair<std::int32_t, std::int32_t>> want = {{1, 30}, {1, 10}, {1, 20}};
	EXPECT_EQ(r.inserts, want);
}

TEST(PlanMedia, AllGone) {
	Page page;
	page.media(1, {});
	MediaResult r = run_media(page, {{100, 1, 10}, {101, 1, 20}, {102, 1, 30}});
	std::vector<std::int32_t> want = {100, 101, 102};
	EXPECT_EQ(r.deletes, want);
	EXPECT_TRUE(r.inserts.empty());
	EXPECT_TRUE(r.kept.empty());
}

TEST(PlanMedia, UnchangedRowsAreNotWritten) {
	Page page;
	page.media(1, {20, 10});
	MediaResult r = run_media(page, {{101, 1, 20}, {100, 1, 10}});
	EXPECT_TRUE(r.deletes.empty());
	EXPECT_TRUE(r.inserts.empty());
	std::vector<std::int32_t> kept = {100, 101};
	EXPECT_EQ(r.kept, kept);
}

TEST(PlanMedia, DuplicatesCountOnce) {
	Page page;
	page.media(1, {10, 40, 10, 40, 50, 50});
	MediaResult r = run_media(page, {{100, 1, 10}});
	std::vector<std::pair<std::int32_t, std::int32_t>> want = {{1, 40}, {1, 50}};
	EXPECT_EQ(r.inserts, want);
	EXPECT_EQ(r.kept, std::vector<std::int32_t>{100});
	EXPECT_TRUE(r.deletes.empty());
	// a pair active twice (never, thanks to the unique index) keeps the oldest row
	Page again;
	again.media(1, {10});
	r = run_media(again, {{105, 1, 10}, {100, 1, 10}});
	EXPECT_EQ(r.kept, std::vector<std::int32_t>{100});
	EXPECT_EQ(r.deletes, std::vector<std::int32_t>{105});
}

TEST(PlanMedia, MixedChurnOverSeveralPeople) {
	Page page;
	page.media(3, {1, 2, 5});
	page.media(1, {7});
	page.media(2, {});
	std::vector<MediaRow> current = {{10, 1, 7}, {11, 2, 1}, {12, 3, 2}, {13, 3, 3}, {14, 3, 4}, {15, 9, 1}};
	MediaResult r = run_media(page, current);
	// person 9 is not on the page: its row stays
	std::vector<std::int32_t> deletes = {11, 13, 14};
	EXPECT_EQ(r.deletes, deletes);
	std::vector<std::pair<std::int32_t, std::int32_t>> inserts = {{3, 1}, {3, 5}};
	EXPECT_EQ(r.inserts, inserts);
	std::vector<std::int32_t> kept = {10, 12};
	EXPECT_EQ(r.kept, kept);
	// the people are sorted by pk, their slices kept
	ASSERT_EQ(page.people.size(), 3u);
	EXPECT_EQ(page.people[0].pk, 1);
	EXPECT_EQ(page.people[2].pk, 3);
	EXPECT_EQ(page.people[2].count, 3u);
}

// -- location diff -----------------------------------------------------------

TEST(PlanLocations, NewChangedKeptGone) {
	std::string home = "Home", work = "Work", office = "Office";
	Page page;
	page.locations(1, {{1, &home, true, true}, {2, &office, false, false}, {4, &work, false, false}});
	std::vector<LocationRow> current = {{10, 1, 1, label(home), true, true},
	                                    {11, 1, 2, label(work), false, false},
	                                    {12, 1, 3, label(work), false, false}};
	LocationResult r = run_locations(page, current);
	EXPECT_EQ(r.kept, std::vector<std::int32_t>{10});  // location 1 exactly as it is
	EXPECT_EQ(r.deletes, std::vector<std::int32_t>{12});
	ASSERT_EQ(r.changes.size(), 1u);
	EXPECT_EQ(r.changes[0].pk, 11);
	EXPECT_EQ(str(r.changes[0].label), "Office");
	EXPECT_TRUE(r.promotions.empty());
	ASSERT_EQ(r.inserts.size(), 1u);
	EXPECT_EQ(r.inserts[0].person_pk, 1);
	EXPECT_EQ(r.inserts[0].location_pk, 4);
	EXPECT_EQ(str(r.inserts[0].label), "Work");
}

TEST(PlanLocations, PrimaryMovesToAnExistingRow) {
	std::string home = "Home", work = "Work";
	Page page;
	page.locations(1, {{1, &home, false, false}, {2, &work, true, false}});
	LocationResult r = run_locations(page, {{10, 1, 1, label(home), true, false}, {11, 1, 2, label(work), false, false}});
	// the demotion is a change (runs first), the promotion comes after it
	ASSERT_EQ(r.changes.size(), 1u);
	EXPECT_EQ(r.changes[0].pk, 10);
	EXPECT_FALSE(r.changes[0].is_primary);
	ASSERT_EQ(r.promotions.size(), 1u);
	EXPECT_EQ(r.promotions[0].pk, 11);
	EXPECT_TRUE(r.promotions[0].is_primary);
	EXPECT_TRUE(r.inserts.empty());
	EXPECT_TRUE(r.deletes.empty());
}

TEST(PlanLocations, PrimaryMovesToANewRow) {
	std::string home = "Home", work = "Work";
	Page page;
	page.locations(1, {{2, &work, true, false}});
	LocationResult r = run_locations(page, {{10, 1, 1, label(home), true, false}});
	EXPECT_EQ(r.deletes, std::vector<std::int32_t>{10});
	ASSERT_EQ(r.inserts.size(), 1u);
	EXPECT_TRUE(r.inserts[0].is_primary);
	// and a relabelled primary stays a change, not a promotion
	Page again;
	again.locations(1, {{1, &work, true, false}});
	r = run_locations(again, {{10, 1, 1, label(home), true, false}});
	ASSERT_EQ(r.changes.size(), 1u);
	EXPECT_TRUE(r.promotions.empty());
}

TEST(PlanLocations, DuplicatesCountOnce) {
	std::string home = "Home";
	Page page;
	page.locations(1, {{1, &home, true, false}, {1, &home, true, false}});
	LocationResult r = run_locations(page, {});
	ASSERT_EQ(r.inserts.size(), 1u);
	r = run_locations(page, {{10, 1, 1, label(home), true, false}});
	EXPECT_EQ(r.kept, std::vector<std::int32_t>{10});
	EXPECT_TRUE(r.inserts.empty() && r.changes.empty() && r.promotions.empty() && r.deletes.empty());
}

TEST(PlanLocations, LabelsCompareByBytes) {
	std::string a = "Home", b = "home", c = "Home ";
	Page page;
	page.locations(1, {{1, &b, false, false}});
	EXPECT_EQ(run_locations(page, {{10, 1, 1, label(a), false, false}}).changes.size(), 1u);
	Page again;
	again.locations(1, {{1, &c, false, false}});
	EXPECT_EQ(run_locations(again, {{10, 1, 1, label(a), false, false}}).changes.size(), 1u);
	std::string empty;
	Page blank;
	blank.locations(1, {{1, &empty, false, false}});
	EXPECT_EQ(run_locations(blank, {{10, 1, 1, label(empty), false, false}}).kept, std::vector<std::int32_t>{10});
}

// -- large sets: applying the plan to the current rows gives the input -------

namespace {

struct Value {
	std::string label;
	bool primary, legal;
	bool operator==(const Value &o) const { return label == o.label && primary == o.primary && legal == o.legal; }
};
using State = std::map<std::pair<std::int32_t, std::int32_t>, std::pair<std::int32_t, Value>>;  // pair -> (pk, value)

}  // namespace

TEST(PlanMedia, LargePageMatchesInputAfterApply) {
	std::mt19937 rng(42);
	const int people = 10000, per_person = 20;
	Page page;
	std::vector<MediaRow> current;
	std::map<std::int32_t, std::set<std::int32_t>> want;
	std::int32_t next_pk = 1;
	std::vector<std::int32_t> order;
	for (int p = 1; p <= people; p++)
		order.push_back(p);
	std::shuffle(order.begin(), order.end(), rng);
	for (std::int32_t p : order) {
		std::vector<std::int32_t> targets;
		for (int i = 0; i < per_person; i++) {
			std::int32_t t = static_cast<std::int32_t>(rng() % 40);
			if (rng() % 10 != 0)  // 90% of what exists stays
				current.push_back({next_pk++, p, t});
			if (rng() % 10 != 0)
				targets.push_back(t);
			if (rng() % 10 == 0)
				targets.push_back(t);  // duplicates
		}
		want[p] = {targets.begin(), targets.end()};
		page.media(p, targets);
	}
	// the current rows are distinct pairs, as the unique index makes them
	std::set<std::pair<std::int32_t, std::int32_t>> seen;
	current.erase(std::remove_if(current.begin(), current.end(),
	                             [&](const MediaRow &r) { return !seen.insert({r.person_pk, r.media_pk}).second; }),
	              current.end());
	std::map<std::int32_t, std::pair<std::int32_t, std::int32_t>> table;  // pk -> pair
	for (const MediaRow &r : current)
		table[r.pk] = {r.person_pk, r.media_pk};
	auto before = table;

	MediaResult r = run_media(page, current);
	for (std::int32_t pk : r.deletes)
		ASSERT_EQ(table.erase(pk), 1u) << "deleted twice or unknown " << pk;
	std::set<std::pair<std::int32_t, std::int32_t>> active;
	for (auto &[pk, pair] : table)
		active.insert(pair);
	for (auto &ins : r.inserts)
		ASSERT_TRUE(active.insert(ins).second) << "inserted an active pair";
	std::set<std::pair<std::int32_t, std::int32_t>> expected;
	for (auto &[p, ts] : want)
		for (std::int32_t t : ts)
			expected.insert({p, t});
	EXPECT_EQ(active, expected);
	// rows that stay: exactly the surviving original rows, each once
	std::set<std::int32_t> kept(r.kept.begin(), r.kept.end()), survivors;
	for (auto &[pk, pair] : table)
		survivors.insert(pk);
	EXPECT_EQ(kept.size(), r.kept.size());
	EXPECT_EQ(kept, survivors);
	EXPECT_EQ(r.kept.size() + r.deletes.size(), before.size());
}

TEST(PlanLocations, LargePageMatchesInputAfterApply) {
	std::mt19937 rng(7);
	const int people = 5000;
	const std::vector<std::string> labels = {"Home", "Work", "Cabin", "Office", ""};
	Page page;
	std::vector<LocationRow> current;
	std::map<std::int32_t, std::map<std::int32_t, Value>> want;
	std::int32_t next_pk = 1;
	for (int p = 1; p <= people; p++) {
		// current: distinct locations, at most one primary
		std::set<std::int32_t> have;
		int primary_at = static_cast<int>(rng() % 8) - 2;
		int n_current = static_cast<int>(rng() % 8);
		for (int i = 0; i < n_current; i++) {
			std::int32_t loc = static_cast<std::int32_t>(rng() % 12);
			if (!have.insert(loc).second)
				continue;
			current.push_back({next_pk++, p, loc, label(labels[rng() % labels.size()]), i == primary_at, rng() % 2 == 0});
		}
		// input: some kept as is, some changed, some new, at most one primary
		std::vector<Page::Loc> in;
		std::map<std::int32_t, Value> mine;
		int want_primary = static_cast<int>(rng() % 10) - 3;
		int n_in = static_cast<int>(rng() % 9);
		for (int i = 0; i < n_in; i++) {
			std::int32_t loc = static_cast<std::int32_t>(rng() % 12);
			if (mine.count(loc))
				continue;
			const std::string *l = &labels[rng() % labels.size()];
			bool primary = i == want_primary, legal = rng() % 2 == 0;
			// often repeat what is there, to exercise "kept"
			for (const LocationRow &row : current)
				if (row.person_pk == p && row.location_pk == loc && rng() % 2 == 0) {
					l = &labels[std::find(labels.begin(), labels.end(), str(row.label)) - labels.begin()];
					primary = row.is_primary && want_primary < 0;
					legal = row.is_legal;
				}
			if (primary && std::any_of(mine.begin(), mine.end(), [](auto &kv) { return kv.second.primary; }))
				primary = false;
			mine[loc] = {*l, primary, legal};
			in.push_back({loc, l, primary, legal});
			if (rng() % 5 == 0)
				in.push_back({loc, l, primary, legal});  // identical duplicate
		}
		want[p] = mine;
		page.locations(p, in);
	}
	for (const Person &p : page.people)
		ASSERT_EQ(check_location_entries(page.entries.data() + p.first, p.count).kind, EntryProblem::none);

	State table;
	for (const LocationRow &r : current)
		table[{r.person_pk, r.location_pk}] = {r.pk, {str(r.label), r.is_primary, r.is_legal}};
	auto before = table;
	LocationResult r = run_locations(page, current);

	auto find_pk = [&](std::int32_t pk) {
		for (auto it = table.begin(); it != table.end(); ++it)
			if (it->second.first == pk)
				return it;
		return table.end();
	};
	auto primaries_ok = [&](const char *step) {
		std::map<std::int32_t, int> count;
		for (auto &[pair, row] : table) {
			if (row.second.primary) {
				ASSERT_LE(++count[pair.first], 1) << "two primaries for person " << pair.first << " after " << step;
			}
		}
	};
	std::set<std::int32_t> written;
	for (std::int32_t pk : r.deletes) {
		auto it = find_pk(pk);
		ASSERT_NE(it, table.end());
		table.erase(it);
		written.insert(pk);
	}
	primaries_ok("deletes");
	for (const LocationChange &c : r.changes) {
		auto it = find_pk(c.pk);
		ASSERT_NE(it, table.end());
		ASSERT_FALSE(!it->second.second.primary && c.is_primary) << "a promotion among the changes";
		it->second.second = {str(c.label), c.is_primary, c.is_legal};
		written.insert(c.pk);
	}
	primaries_ok("changes");
	for (const LocationChange &c : r.promotions) {
		auto it = find_pk(c.pk);
		ASSERT_NE(it, table.end());
		it->second.second = {str(c.label), c.is_primary, c.is_legal};
		written.insert(c.pk);
		primaries_ok("a promotion");
	}
	for (const LocationInsert &i : r.inserts) {
		ASSERT_TRUE(table.insert({{i.person_pk, i.location_pk}, {-1, {str(i.label), i.is_primary, i.is_legal}}}).second);
		primaries_ok("an insert");
	}
	std::map<std::int32_t, std::map<std::int32_t, Value>> got;
	for (auto &[pair, row] : table)
		got[pair.first][pair.second] = row.second;
	for (auto &[p, m] : want)
		EXPECT_EQ(got[p], m) << "person " << p;
	// kept rows are exactly the unchanged survivors, and none of them was written
	std::set<std::int32_t> unchanged;
	for (auto &[pair, row] : before) {
		auto it = table.find(pair);
		if (it != table.end() && it->second.first == row.first && it->second.second == row.second &&
		    !written.count(row.first))
			unchanged.insert(row.first);
	}
	EXPECT_EQ(std::set<std::int32_t>(r.kept.begin(), r.kept.end()), unchanged);
	EXPECT_EQ(r.kept.size(), unchanged.size());
	EXPECT_GT(r.kept.size(), 1000u);
	EXPECT_GT(r.promotions.size(), 10u);
	EXPECT_GT(r.changes.size(), 100u);
}
