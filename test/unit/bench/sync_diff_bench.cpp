// Micro-benchmark of the sync diff core: one connector page (500 people x
// 20 media, 10% churn) planned from scratch. Built by CMake when Google
// Benchmark is installed; not part of ctest.
#include "sync_diff.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

using namespace pp::sync;

namespace {

struct MediaPage {
	std::vector<Person> people;
	std::vector<Entry> entries;
	std::vector<MediaRow> current;
};

MediaPage make_page(int people, int per_person, unsigned seed) {
	std::mt19937 rng(seed);
	MediaPage page;
	std::int32_t pk = 1;
	for (int p = 1; p <= people; p++) {
		Person person{};
		person.pk = p;
		person.first = static_cast<std::uint32_t>(page.entries.size());
		for (int i = 0; i < per_person; i++) {
			std::int32_t media = p * 100 + i;
			if (rng() % 10 != 0)
				page.current.push_back({pk++, p, media, static_cast<std::uint32_t>(page.current.size())});  // 10% new
			Entry e{};
			e.pk = rng() % 10 != 0 ? media : media + 50;  // 10% gone
			page.entries.push_back(e);
		}
		person.count = static_cast<std::uint32_t>(page.entries.size()) - person.first;
		page.people.push_back(person);
	}
	return page;
}

void BM_PlanMediaPage(benchmark::State &state) {
	MediaPage page = make_page(static_cast<int>(state.range(0)), 20, 1);
	std::vector<std::int32_t> del(page.current.size()), ip(page.entries.size()), im(page.entries.size());
	std::vector<std::uint32_t> kept(page.current.size());
	for (auto _ : state) {
		std::vector<MediaRow> current = page.current;
		MediaPlan plan{del.data(), 0, ip.data(), im.data(), 0, kept.data(), 0};
		plan_media(page.people.data(), page.people.size(), page.entries.data(), current.data(), current.size(),
		           plan);
		benchmark::DoNotOptimize(plan.n_insert);
	}
	state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.entries.size()));
}
BENCHMARK(BM_PlanMediaPage)->Arg(500)->Arg(50000);

void BM_ParseUuid(benchmark::State &state) {
	const char text[] = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
	Uuid id;
	for (auto _ : state)
		benchmark::DoNotOptimize(parse_uuid(text, sizeof text - 1, id));
}
BENCHMARK(BM_ParseUuid);

}  // namespace
