// Session settings (GUCs) registered when the library loads.
#pragma once

namespace pp::settings {

enum class PrimaryConflict { demote, error };

// person_pivots.primary_conflict: what making a second active primary does.
PrimaryConflict primary_conflict();

}  // namespace pp::settings
