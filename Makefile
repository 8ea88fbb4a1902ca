# person_pivots: PGXS build of the C++ extension, plus the two user commands
# (make demo, make test). C++ unit tests and benchmarks build with CMake.

# The source tree is this Makefile's directory: the Debian package builds
# out of tree (pg_buildext: make -C build-15 -f ../Makefile VPATH=..).
pp_src      := $(dir $(firstword $(MAKEFILE_LIST)))

EXTENSION    = person_pivots
MODULE_big   = person_pivots
OBJS         = $(patsubst $(pp_src)%.cpp,%.o,$(wildcard $(pp_src)src/*.cpp))
DATA         = $(patsubst $(pp_src)%,%,$(wildcard $(pp_src)sql/extension/person_pivots--*.sql)) \
               sql/extension/person_pivots_repair.sql
PGFILEDESC   = "person_pivots - database-enforced pivot rules"
# test/module (test-only C++, installed by make test only) builds there.
EXTRA_CLEAN  = test/module/*.o test/module/*.so

# Regression tests run in this order against a throwaway cluster (make test).
REGRESS      = install boundary media_writers media_rules media_functions \
               locations_writers locations_primary locations_functions \
               sync_functions scope hardening trackability adopt bulk_lookups \
               trigger_plans host_contract
REGRESS_OPTS = --dbname=contrib_regression
# boundary needs the test-only module, which make test installs (test/module);
# the package's installcheck runs without it (debian/tests/installcheck).
ifeq ($(PP_TEST_MODULE),no)
REGRESS     := $(filter-out boundary,$(REGRESS))
endif
ISOLATION    = primary_promote_promote primary_promote_unlink \
               primary_promote_delete link_same_pair primary_promote_bulk \
               primary_insert_locks tx_link_then_set_primary \
               tx_unlink_relink_primary tx_sync_then_link \
               tx_link_unchanged_primary tx_batch_and_profile \
               primary_isolation_levels
# The specs' setup blocks call pp_test.reset_host_schema() from
# test/fixtures/host_schema.sql: pg_isolation_regress uses the database
# target isolation-db prepares (--use-existing) instead of creating its own.
ISOLATION_DB = isolation_regression
ISOLATION_OPTS = --inputdir=test --dbname=$(ISOLATION_DB) --use-existing

PG_CXXFLAGS  = -std=c++17 -fPIC -Wall -Wextra -Werror -Wno-unused-parameter \
               -Wno-missing-field-initializers -Wno-register -I$(pp_src)src
SHLIB_LINK  += -lstdc++

# The server may be built with LLVM JIT; we ship no bitcode for C++ sources.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
# Before `make setup` has run on a fresh machine PGXS may be absent; the
# setup, demo and test targets install it and re-enter make.
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
# Built and tested on PostgreSQL 15 only. The APIs it uses exist in later
# majors too, but no other major is tested, so none is accepted.
ifneq ($(MAJORVERSION),15)
$(error person_pivots needs PostgreSQL 15, but $(PG_CONFIG) is $(MAJORVERSION): set PG_CONFIG to a PostgreSQL 15 pg_config)
endif
endif

# PGXS tracks no header dependencies: rebuild everything when a header moves.
$(OBJS): $(wildcard $(pp_src)src/*.hpp)
# Out of tree, the objects go to src/ of the build directory.
ifneq ($(pp_src),./)
$(shell mkdir -p src)
endif

# make installcheck with isolation specs first (re)creates the isolation
# database as pg_regress would (template0, the C message and time settings)
# on the server the environment names (PGHOST, PGPORT, PGUSER, as for
# pg_regress) and loads the host fixture into it; `make installcheck
# ISOLATION=` skips it. Before running pg_isolation_regress by hand, run
# `make isolation-db`.
ifneq ($(strip $(ISOLATION)),)
installcheck: isolation-db
endif
.PHONY: isolation-db
isolation-db:
	'$(bindir)/psql' -X -q -v ON_ERROR_STOP=1 -d postgres -c 'SET client_min_messages = warning' \
	  -c 'DROP DATABASE IF EXISTS "$(ISOLATION_DB)"' \
	  -c 'CREATE DATABASE "$(ISOLATION_DB)" TEMPLATE = template0' \
	  -c 'ALTER DATABASE "$(ISOLATION_DB)" SET lc_messages = "C"' \
	  -c 'ALTER DATABASE "$(ISOLATION_DB)" SET lc_monetary = "C"' \
	  -c 'ALTER DATABASE "$(ISOLATION_DB)" SET lc_numeric = "C"' \
	  -c 'ALTER DATABASE "$(ISOLATION_DB)" SET lc_time = "C"' \
	  -c 'ALTER DATABASE "$(ISOLATION_DB)" SET bytea_output = hex' \
	  -c 'ALTER DATABASE "$(ISOLATION_DB)" SET timezone_abbreviations = "Default"'
	'$(bindir)/psql' -X -q -v ON_ERROR_STOP=1 -d '$(ISOLATION_DB)' -f test/fixtures/host_schema.sql >/dev/null

.PHONY: setup demo test soak bench dist deb

# Installs whatever is missing (Debian packages); quiet when all is there.
setup:
	@bash test/scripts/setup.sh

demo: setup
	@$(MAKE) --no-print-directory all
	@bash test/scripts/demo.sh

test: setup
	@$(MAKE) --no-print-directory all
	@bash test/scripts/run_tests.sh

# The long parallel load on the primary rule (several minutes; CI runs it
# after make test).
soak: setup
	@$(MAKE) --no-print-directory all
	@bash test/scripts/soak.sh

# The Debian package postgresql-15-person-pivots_<version>_amd64.deb, built
# here from a copy of the tracked files (debian/; docs/operations.md, Packaging).
deb: setup
	@bash test/scripts/build_deb.sh

bench: setup
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh

dist:
	git archive --format=tar.gz --prefix=person_pivots-$$(sed -n "s/^default_version = '\(.*\)'/\1/p" person_pivots.control)/ \
	  -o person_pivots-$$(sed -n "s/^default_version = '\(.*\)'/\1/p" person_pivots.control).tar.gz HEAD
