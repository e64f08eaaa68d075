#include "sgn/testing/harness.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "harness_elements.hpp"
#include "harness_state.hpp"
#include "sgn/pipeline.hpp"

namespace sgn::testing {

namespace {

using detail::CapturedFrame;

/// Beyond the join timeout, how long the harness waits for a stopped run to return.
constexpr std::chrono::milliseconds kStopMargin{5000};

/// Harness runs with an element in a worker process, in this process. The engine runs one
/// process-mode pipeline at a time per process (two starting at once race for RouDi).
std::atomic<int> g_process_runs{0};

std::string pad_list(const std::vector<PadSpec>& pads) {
  std::string list;
  for (const PadSpec& pad : pads) list += (list.empty() ? "'" : ", '") + pad.name + "' (" + pad.type.name + ")";
  return list.empty() ? "none" : list;
}

std::string injector_name(const PadSpec& pad) { return "harness-in." + pad.name; }
std::string collector_name(const PadSpec& pad) { return "harness-out." + pad.name; }

}  // namespace

Harness::Harness(const Registry& registry, std::string_view type_name, const PropertyMap& properties,
                 std::optional<Placement> placement, HarnessOptions options)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.options = std::move(options);
  s.name = s.options.name.empty() ? std::string(type_name) : s.options.name;
  s.type_name = type_name;
  if (s.options.max_held_frames == 0) throw HarnessError("HarnessOptions::max_held_frames must be at least 1");
  // A registry of the harness's own: the program's types plus its injectors and collectors,
  // which run in threads of this process and so never need to be in sgn::init's registry.
  for (const std::string& type : registry.names()) s.registry.add(registry.at(type));
  s.pipeline = std::make_unique<Pipeline>(PipelineOptions{.queue_maxsize = s.options.queue_maxsize,
                                                          .join_timeout = s.options.join_timeout,
                                                          .handle_signals = false,
                                                          .registry = &s.registry});
  Pipeline& p = *s.pipeline;
  p.add(type_name, s.name, properties, placement);
  const Element& element = p.element(s.name);
  s.inputs = element.inputs();
  s.outputs = element.outputs();
  s.placement = p.placement(s.name);
  s.input_queues.resize(s.inputs.size());
  s.input_closed.assign(s.inputs.size(), false);
  s.output_queues.resize(s.outputs.size());
  s.eos_pulled.assign(s.outputs.size(), false);

  State* state = state_.get();  // the elements live in the pipeline, which the state owns
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    const std::string type = "sgn-testing-injector." + s.inputs[i].name;
    s.registry.add(ElementType{{type, "sends the frames a test pushes", {}},
                               [state, i](const ElementArgs& args) -> std::unique_ptr<Element> {
                                 return detail::make_injector(args, *state, i);
                               }});
    p.add(type, injector_name(s.inputs[i]), {}, Placement::Thread);
    p.link(injector_name(s.inputs[i]), s.name + ":" + s.inputs[i].name);
  }
  for (std::size_t i = 0; i < s.outputs.size(); ++i) {
    const std::string type = "sgn-testing-collector." + s.outputs[i].name;
    s.registry.add(ElementType{{type, "keeps what the element publishes for the test", {}},
                               [state, i](const ElementArgs& args) -> std::unique_ptr<Element> {
                                 return detail::make_collector(args, *state, i);
                               }});
    p.add(type, collector_name(s.outputs[i]), {}, Placement::Thread);
    p.link(s.name + ":" + s.outputs[i].name, collector_name(s.outputs[i]));
  }
  p.validate();

  const bool in_process = s.placement == Placement::Process;
  if (in_process && g_process_runs.fetch_add(1) != 0) {
    g_process_runs.fetch_sub(1);
    throw HarnessError(fmt::format(
        "cannot run element '{}' in placement 'process': another harness in this process runs an element in a "
        "worker process (one process-mode run at a time per process); finish() or destroy that one first",
        s.name));
  }
  s.runner = std::thread([keep = state_, in_process] {
    State& st = *keep;
    std::exception_ptr error;
    try {
      st.pipeline->run();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(st.mutex);
      st.report = st.pipeline->last_report();
      st.error = error;
      st.ended = true;
    }
    if (in_process) g_process_runs.fetch_sub(1);
    st.changed.notify_all();
  });
}

Harness::Harness(Harness&&) noexcept = default;

Harness& Harness::operator=(Harness&& other) noexcept {
  if (this != &other) {
    Harness gone(std::move(*this));  // ends the run this harness had
    state_ = std::move(other.state_);
  }
  return *this;
}

Harness::~Harness() {
  if (!state_ || !state_->runner.joinable()) return;
  State& s = *state_;
  s.pipeline->request_stop();
  std::unique_lock lock(s.mutex);
  const bool ended = s.wait(lock, s.options.join_timeout + kStopMargin, [&] { return s.ended; });
  lock.unlock();
  if (ended) {
    s.runner.join();
  } else {
    // It keeps the state alive itself; waiting longer would make this destructor unbounded.
    spdlog::error("sgn::testing::Harness: the run of element '{}' did not end within {} ms of a stop; left running",
                  s.name, (s.options.join_timeout + kStopMargin).count());
    s.runner.detach();
  }
}

std::size_t Harness::input_index(std::string_view pad, const SchemaType* type) const {
  const State& s = *state_;
  if (s.inputs.empty()) {
    throw HarnessError(fmt::format("element '{}' ({}) has no input pad to push to", s.name, s.type_name));
  }
  std::size_t index = s.inputs.size();
  if (pad.empty() && s.inputs.size() == 1) index = 0;
  for (std::size_t i = 0; i < s.inputs.size() && !pad.empty(); ++i) {
    if (s.inputs[i].name == pad) index = i;
  }
  if (index == s.inputs.size()) {
    throw HarnessError(fmt::format("element '{}' has no input pad '{}' (it has: {}){}", s.name, pad,
                                   pad_list(s.inputs), pad.empty() ? "; name one" : ""));
  }
  if (type && !(*type == s.inputs[index].type)) {
    throw TypeMismatchError(fmt::format("cannot push a {} frame to input pad {}:{}, which carries {}", type->name,
                                        s.name, s.inputs[index].name, s.inputs[index].type.name));
  }
  return index;
}

std::size_t Harness::output_index(std::string_view pad, const SchemaType* type) const {
  const State& s = *state_;
  if (s.outputs.empty()) {
    throw HarnessError(fmt::format("element '{}' ({}) has no output pad to pull from", s.name, s.type_name));
  }
  std::size_t index = s.outputs.size();
  if (pad.empty() && s.outputs.size() == 1) index = 0;
  for (std::size_t i = 0; i < s.outputs.size() && !pad.empty(); ++i) {
    if (s.outputs[i].name == pad) index = i;
  }
  if (index == s.outputs.size()) {
    throw HarnessError(fmt::format("element '{}' has no output pad '{}' (it has: {}){}", s.name, pad,
                                   pad_list(s.outputs), pad.empty() ? "; name one" : ""));
  }
  if (type && !(*type == s.outputs[index].type)) {
    throw TypeMismatchError(fmt::format("cannot pull a {} frame from output pad {}:{}, which carries {}",
                                        type->name, s.name, s.outputs[index].name, s.outputs[index].type.name));
  }
  return index;
}

std::string Harness::what(std::size_t output) const { return state_->name + ":" + state_->outputs[output].name; }

Harness::Millis Harness::options_timeout() const noexcept { return state_->options.timeout; }

void Harness::queue_message(std::size_t input, std::uint64_t schema_id, std::vector<capnp::word> words,
                            std::int64_t timestamp_ns) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (s.input_closed[input]) {
      throw HarnessError(fmt::format("cannot push to {}:{} after push_eos()", s.name, s.inputs[input].name));
    }
    s.input_queues[input].push_back({detail::InputItem::Kind::Data, schema_id, timestamp_ns, std::move(words)});
  }
  s.changed.notify_all();
}

Harness& Harness::push_gap(std::string_view pad, std::int64_t timestamp_ns) {
  const std::size_t input = input_index(pad, nullptr);
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (s.input_closed[input]) {
      throw HarnessError(fmt::format("cannot push a gap to {}:{} after push_eos()", s.name, s.inputs[input].name));
    }
    s.input_queues[input].push_back({detail::InputItem::Kind::Gap, 0, timestamp_ns, {}});
  }
  s.changed.notify_all();
  return *this;
}

Harness& Harness::push_eos() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    for (std::size_t i = 0; i < s.inputs.size(); ++i) {
      if (s.input_closed[i]) continue;
      s.input_closed[i] = true;
      s.input_queues[i].push_back({detail::InputItem::Kind::Eos, 0, 0, {}});
    }
  }
  s.changed.notify_all();
  return *this;
}

Harness& Harness::push_eos(std::string_view pad) {
  const std::size_t input = input_index(pad, nullptr);
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (s.input_closed[input]) {
      throw HarnessError(fmt::format("push_eos() twice on {}:{}", s.name, s.inputs[input].name));
    }
    s.input_closed[input] = true;
    s.input_queues[input].push_back({detail::InputItem::Kind::Eos, 0, 0, {}});
  }
  s.changed.notify_all();
  return *this;
}

namespace {

/// What waiting for the next output found.
enum class Next { Frame, Eos, Timeout, RunEnded };

}  // namespace

// One wait for the front of an output queue, shared by the pulls. Returns the front (not
// taken) or null, with what happened; rethrows the run's error when nothing is left.
static std::pair<std::shared_ptr<const CapturedFrame>, Next> wait_front(Harness::State& s, std::size_t output,
                                                                        Harness::Millis timeout) {
  std::unique_lock lock(s.mutex);
  auto& queue = s.output_queues[output];
  s.wait(lock, timeout, [&] { return !queue.empty() || s.ended; });
  if (!queue.empty()) {
    auto front = queue.front();
    return {front, (front->header.flags & kFrameEos) ? Next::Eos : Next::Frame};
  }
  if (!s.ended) return {nullptr, Next::Timeout};
  if (s.error) std::rethrow_exception(s.error);
  return {nullptr, Next::RunEnded};
}

static void pop_front(Harness::State& s, std::size_t output) {
  {
    std::lock_guard lock(s.mutex);
    s.output_queues[output].pop_front();
  }
  s.changed.notify_all();  // a collector may wait for room
}

// Why a pull found no frame to give, as the error the caller gets.
static HarnessError no_frame(const Harness::State& s, std::size_t output, Next next, const std::string& what,
                             Harness::Millis timeout, std::string_view call) {
  switch (next) {
    case Next::Eos:
      return HarnessError(fmt::format("{} from {}: the pad is at EOS (pull_eos() takes it)", call, what));
    case Next::Timeout:
      return HarnessError(fmt::format("{} from {}: nothing within {} ms", call, what, timeout.count()));
    default:
      break;
  }
  std::lock_guard lock(s.mutex);
  return HarnessError(fmt::format("{} from {}: {}", call, what,
                                  s.eos_pulled[output] ? "the pad's EOS was already pulled"
                                                       : "the run ended without EOS on this pad (it was stopped)"));
}

static void take_eos(Harness::State& s, std::size_t output) {
  {
    std::lock_guard lock(s.mutex);
    s.output_queues[output].pop_front();
    s.eos_pulled[output] = true;
  }
  s.changed.notify_all();
}

std::shared_ptr<const CapturedFrame> Harness::take_frame(std::size_t output, Millis timeout) {
  auto [frame, next] = wait_front(*state_, output, timeout);
  if (next != Next::Frame) throw no_frame(*state_, output, next, what(output), timeout, "pull");
  pop_front(*state_, output);
  return frame;
}

std::shared_ptr<const CapturedFrame> Harness::try_take_frame(std::size_t output, Millis timeout) {
  auto [frame, next] = wait_front(*state_, output, timeout);
  if (next != Next::Frame) return nullptr;
  pop_front(*state_, output);
  return frame;
}

std::shared_ptr<const CapturedFrame> Harness::take_frame_or_eos(std::size_t output, Millis timeout) {
  auto [frame, next] = wait_front(*state_, output, timeout);
  if (next == Next::Eos) {
    take_eos(*state_, output);
    return nullptr;
  }
  if (next != Next::Frame) throw no_frame(*state_, output, next, what(output), timeout, "pull_all");
  pop_front(*state_, output);
  return frame;
}

void Harness::pull_eos(Millis timeout, std::string_view pad) {
  const std::size_t output = output_index(pad, nullptr);
  auto [frame, next] = wait_front(*state_, output, timeout);
  if (next == Next::Eos) return take_eos(*state_, output);
  if (next == Next::Frame) {
    throw HarnessError(fmt::format("pull_eos from {}: a {} frame (sequence {}) came first", what(output),
                                   (frame->header.flags & kFrameGap) ? "gap" : "data", frame->header.sequence));
  }
  throw no_frame(*state_, output, next, what(output), timeout, "pull_eos");
}

void Harness::pull_eos(std::string_view pad) { pull_eos(options_timeout(), pad); }

std::size_t Harness::pending(std::string_view pad) const {
  const std::size_t output = output_index(pad, nullptr);
  std::lock_guard lock(state_->mutex);
  return state_->output_queues[output].size();
}

RunReport Harness::finish(Millis timeout) {
  State& s = *state_;
  if (!s.finished) {
    push_eos();
    {
      std::lock_guard lock(s.mutex);
      s.draining = true;
    }
    s.changed.notify_all();
    std::unique_lock lock(s.mutex);
    const bool ended = s.wait(lock, timeout, [&] { return s.ended; });
    lock.unlock();
    if (!ended) {
      stop();  // bounded; its own outcome is secondary to this one
      throw HarnessError(fmt::format("element '{}' did not end within {} ms of EOS; the run was stopped", s.name,
                                     timeout.count()));
    }
    s.runner.join();
    s.finished = true;
  }
  if (s.error) std::rethrow_exception(s.error);
  return s.report;
}

RunReport Harness::finish() { return finish(options_timeout()); }

RunReport Harness::stop() {
  State& s = *state_;
  if (!s.finished) {
    s.pipeline->request_stop();
    const Millis limit = s.options.join_timeout + kStopMargin;
    std::unique_lock lock(s.mutex);
    const bool ended = s.wait(lock, limit, [&] { return s.ended; });
    lock.unlock();
    if (!ended) {
      throw HarnessError(fmt::format("the run of element '{}' did not end within {} ms of a stop", s.name,
                                     limit.count()));
    }
    s.runner.join();
    s.finished = true;
  }
  if (s.error) std::rethrow_exception(s.error);
  return s.report;
}

bool Harness::ended() const {
  std::lock_guard lock(state_->mutex);
  return state_->ended;
}

std::exception_ptr Harness::error() const {
  std::lock_guard lock(state_->mutex);
  return state_->ended ? state_->error : nullptr;
}

const std::string& Harness::name() const noexcept { return state_->name; }
const std::vector<PadSpec>& Harness::inputs() const noexcept { return state_->inputs; }
const std::vector<PadSpec>& Harness::outputs() const noexcept { return state_->outputs; }
Placement Harness::placement() const noexcept { return state_->placement; }

const RunReport& Harness::report() const {
  if (!state_->finished) throw HarnessError("the report of element '" + name() + "' is ready after finish() or stop()");
  return state_->report;
}

const ElementStats& Harness::stats() const {
  const ElementStats* stats = report().find(name());
  if (!stats) throw HarnessError("the run's report has no line for element '" + name() + "'");
  return *stats;
}

const Element& Harness::ran_element() const {
  const State& s = *state_;
  if (!s.finished) throw HarnessError("element '" + s.name + "' can be read after finish() or stop()");
  if (s.placement == Placement::Process) {
    throw HarnessError("element '" + s.name +
                       "' ran in a worker process: the object here never ran (read stats() instead)");
  }
  return s.pipeline->element(s.name);
}

}  // namespace sgn::testing
