// How a Winograd convolution shares one image among the threads when images
// are fewer than threads (batch 1): by output-channel panels or by tiles (see
// conv2dForwardWinograd), and, where the better of the two depends on the CPU
// and the build cannot tell which CPU it runs on (WebAssembly), by measuring
// both on the layer's first calls.
#pragma once

#include <limits>
#include <mutex>

namespace alexnet {

enum class WinogradSplit {
  Panels,    // each thread reads only its share of the transformed filters
  Tiles,     // each thread transforms and multiplies only its tiles
  Measured,  // the faster of the two for each layer, timed on its first calls (SplitTrials)
};

// The split trials of one layer's packed weight: its first calls alternate
// the two splits (tiles first), kTrialsPerSplit each, and every later call
// takes the one with the faster best call. Both splits compute every output
// with the same operations in the same order, so the outputs do not depend
// on the choice. Why measure: in Chromium on Sapphire Rapids the panels
// took AlexNet's 13×13 layers 10% faster than the tiles at batch 1 on 2
// threads and conv2 about 10% slower, while on Zen 5 the tiles were faster over
// conv2-5 (6.9 against 7.6 ms); a WebAssembly module cannot read the CPU.
// (Since then the 13×13 layers transform their filters per call, which
// always splits by panels: conv.h, winogradSource.)
class SplitTrials {
 public:
  static constexpr int kTrialsPerSplit = 2;

  // Whether the next call on `threads` threads splits by panels. A new thread
  // count starts the trials again.
  bool panelsForNextCall(int threads) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (threads != threads_) {
      threads_ = threads;
      trials_[0] = trials_[1] = 0;
      fastest_[0] = fastest_[1] = std::numeric_limits<double>::infinity();
    }
    if (trials_[0] < kTrialsPerSplit || trials_[1] < kTrialsPerSplit) return trials_[1] < trials_[0];
    return fastest_[1] < fastest_[0];
  }

  // A call's time (any unit), for the split it ran with.
  void record(bool panels, int threads, double time) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (threads != threads_) return;
    const int i = panels ? 1 : 0;
    ++trials_[i];
    if (time < fastest_[i]) fastest_[i] = time;
  }

 private:
  std::mutex mutex_;
  int threads_ = 0;
  int trials_[2] = {0, 0};
  double fastest_[2] = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
};

}  // namespace alexnet
