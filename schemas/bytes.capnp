@0xb1c4d6e2f3a40503;
# A raw payload, for benchmarks and opaque data.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sgn::schema");

struct Bytes {
  data @0 :Data;
}
