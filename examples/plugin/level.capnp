@0x85b01e93c792416a;
# The level plugin's own schema: what its `level` element measures in each frame.
# A new schema needs a file id of its own: `capnp id` prints one.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("level");

# sgn's schemas are installed in <prefix>/share/sgn/schemas and imported like this
# (sgn_add_schemas puts <prefix>/share on the import path).
using Samples = import "/sgn/schemas/samples.capnp".Samples;

struct Level {
  startTimeNs @0 :Int64;     # of the measured frame (Samples.startTimeNs)
  channels @1 :List(Channel);

  struct Channel {
    rms @0 :Float32;
    peak @1 :Float32;        # largest |sample|
  }
}
