@0xfe31e8f18074615b;
# The test plugin's own schema (tests/plugins/test_plugin.cpp).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sgntest");

# Imported from sgn's installed schemas, as a plugin author would.
using Samples = import "/sgn/schemas/samples.capnp".Samples;

struct Tally {
  frames @0 :UInt64;    # frames seen so far, this one included
  samples @1 :UInt64;   # samples per channel so far
  peak @2 :Float32;     # largest |sample| so far, times the element's scale
  last :union {         # the last frame's shape
    empty @3 :Void;
    channels @4 :UInt32;
  }
  first @5 :Samples;    # unused: shows a field of an imported type
}
