@0xb1c4d6e2f3a40504;
# Messages between the main process and its workers, one topic per direction
# and pipeline instance.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sgn::schema");

struct Command {
  # main -> workers
  union {
    stop @0 :Void;       # end now, without draining
    shutdown @1 :Void;   # drain pending input, send EOS downstream, then end
    start @2 :Void;      # every worker is connected: begin
  }
}

enum ErrorKind {
  exception @0;      # the element threw
  badInput @1;       # a frame or property the element could not accept
  frameOverflow @2;  # a message outgrew the frame it was built in
  transport @3;      # shared memory, RouDi or channel failure
  internal @4;
}

struct Status {
  # workers -> main
  element @0 :Text;
  pid @1 :Int32;
  union {
    ready @2 :Void;        # element built, ports connected
    eosReached @3 :Void;   # EOS sent on every output (or received, for a sink)
    terminated @4 :Stats;  # the worker is about to exit; what it did
    error @5 :Error;
  }
}

struct Stats {
  framesIn @0 :UInt64;
  framesOut @1 :UInt64;
  bytesIn @2 :UInt64;
  bytesOut @3 :UInt64;
  gaps @4 :UInt64;
  copies @5 :UInt64;
  discarded @6 :UInt64;
  latencyP50Us @7 :Float64;
  latencyP99Us @8 :Float64;
}

struct Error {
  element @0 :Text;
  kind @1 :ErrorKind;
  type @2 :Text;      # C++ type of the exception, demangled
  message @3 :Text;
}

struct WorkerSpec {
  # What a worker process needs to rebuild its element and connect its pads;
  # written by the main process into a pipe the worker reads at start.
  instance @0 :Text;           # pipeline instance id: prefixes every service and segment name
  element @1 :Text;
  typeName @2 :Text;
  properties @3 :List(Property);
  queueMaxsize @4 :UInt32;
  nodeIndex @5 :UInt32;        # this worker's waker in the control segment
  mainNodeIndex @6 :UInt32;    # the main process's waker
  controlSegment @7 :Text;
  inputs @8 :List(Input);
  outputs @9 :List(Output);
  logLevel @10 :Text;
  shared @11 :List(SharedData);  # Pipeline::share, as read-only segments
  publishers @12 :UInt32;        # shared-memory output pads in the pipeline (they share the pools)
  runtimeName @13 :Text;         # this worker's iceoryx runtime name
  mempools @14 :List(Mempool);   # the pools of the RouDi main attached to (frame sizes, windows)
  spinNs @15 :UInt64;            # low-latency spin of the worker's loop before it sleeps (0: default)

  struct Mempool {
    payload @0 :UInt64;        # largest loan the pool serves
    count @1 :UInt64;
  }

  struct SharedData {
    name @0 :Text;
    segment @1 :Text;          # shared-memory name to map read-only
  }
  struct Property {
    name @0 :Text;
    value @1 :Text;
  }
  struct Input {
    pad @0 :Text;
    service @1 :Text;          # the producing pad's topic
    link @2 :UInt32;           # counters in the control segment
    producerNode @3 :UInt32;   # waker to notify when room appears
  }
  struct Output {
    pad @0 :Text;
    service @1 :Text;
    links @2 :List(UInt32);
    consumerNodes @3 :List(UInt32);
  }
}
