// See person_lock.hpp.
#include "person_lock.hpp"
#include "host.hpp"
#include "spi.hpp"

namespace pp {

void lock_person(int32 person_pk) {
	static spi::Statement lock = {
		"SELECT 1 FROM {people} WHERE pk OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE", 1, {INT4OID}, nullptr,
		InvalidOid};
	Oid people = host::people_relid();
	if (!OidIsValid(people))
		return;  // restore mode: no people table yet, no promotions either
	Datum args[1] = {Int32GetDatum(person_pk)};
	spi::execute_as(host::relation_owner(people), lock, args, nullptr, false);
}

}  // namespace pp
