// PLACEHOLDER: replaced by the sync implementation (issue 5). Do not ship.
#include "boundary.hpp"
#include <stdexcept>
PP_FUNCTION(sync_person_media) { throw std::runtime_error("sync_person_media: not implemented yet"); }
PP_FUNCTION(sync_person_media_batch) { throw std::runtime_error("not implemented yet"); }
PP_FUNCTION(sync_person_locations) { throw std::runtime_error("not implemented yet"); }
PP_FUNCTION(sync_person_locations_batch) { throw std::runtime_error("not implemented yet"); }
