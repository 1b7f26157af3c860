// SHA-256 (FIPS 180-4), used to check an artifact before it is dlopen'ed.
//
// Self-contained on purpose: the op library links only TensorFlow and
// libtvm_runtime.so, and pulling in a crypto library for one digest per
// artifact would add a deployment dependency for no gain.
#ifndef TF2TVM_RUNTIME_SHA256_H_
#define TF2TVM_RUNTIME_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tf2tvm {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  // Pads, returns the digest as lowercase hex, and leaves the object spent.
  std::string FinishHex();

 private:
  void Compress(const uint8_t block[64]);

  std::array<uint32_t, 8> state_;
  uint8_t pending_[64];
  size_t pending_size_ = 0;
  uint64_t total_bytes_ = 0;
};

// Hex digest of a whole file. Returns false with *error set if it cannot be read.
bool Sha256File(const std::string& path, std::string* hex, std::string* error);

}  // namespace tf2tvm

#endif  // TF2TVM_RUNTIME_SHA256_H_
