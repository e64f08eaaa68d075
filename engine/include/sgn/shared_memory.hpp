#pragma once
/// Shared-memory segments the engine creates: their names and their cleanup.

namespace sgn {

/// Unlinks every shared-memory segment this process created and still owns.
/// Also runs at exit; async-signal-safe, and safe to call more than once. Segments of
/// a process that was killed are removed by the next process-mode run.
void cleanup_all_shm() noexcept;

}  // namespace sgn
