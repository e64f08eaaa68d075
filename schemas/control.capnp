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
    terminated @4 :Void;   # the worker is about to exit
    error @5 :Error;
  }
}

struct Error {
  element @0 :Text;
  kind @1 :ErrorKind;
  type @2 :Text;      # C++ type of the exception, demangled
  message @3 :Text;
}
