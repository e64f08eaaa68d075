@0xb1c4d6e2f3a40502;
# Multi-channel time series, the frame of sensor pipelines.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sgn::schema");

struct Samples {
  sampleRate @0 :Float64;   # samples per second, per channel
  startTimeNs @1 :Int64;    # time of the first sample, ns (stream time, not wall clock)
  channelCount @2 :UInt32;  # channels interleaved in `data`
  # Interleaved float32, frame-major: data[i * channelCount + c] is sample i of
  # channel c. data.size() == samplesPerChannel * channelCount.
  data @3 :List(Float32);
}
