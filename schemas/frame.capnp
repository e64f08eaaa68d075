@0xb1c4d6e2f3a40501;
# The frame envelope. In memory a frame is a fixed C++ header (sgn::FrameHeader)
# followed by one Cap'n Proto segment; this struct is that header's wire form,
# used where frames are stored (the file sink's stream format).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sgn::schema");

struct FrameHeader {
  sequence @0 :UInt64;      # per output pad, starting at 0; transforms keep their input's
  timestampNs @1 :Int64;    # CLOCK_MONOTONIC ns when the source produced the frame
  flags @2 :UInt32;         # bit 0: end of stream, bit 1: gap (no payload)
  schemaId @3 :UInt64;      # Cap'n Proto type id of the payload's root struct
  messageBytes @4 :UInt64;  # size of the payload segment in bytes (a multiple of 8)
}

struct StoredFrame {
  # One frame of a file written by the file sink: the header and the payload's
  # single segment, byte for byte. Reading it back is one copy into a new frame.
  header @0 :FrameHeader;
  segment @1 :Data;
}
