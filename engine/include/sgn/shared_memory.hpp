#pragma once
/// Shared-memory segments the engine creates: their names and their cleanup.

namespace sgn {

/// Unlinks every shared-memory segment this process created and still owns.
/// Also runs at exit and on the fatal-signal path; safe to call more than once.
void cleanup_all_shm() noexcept;

}  // namespace sgn
