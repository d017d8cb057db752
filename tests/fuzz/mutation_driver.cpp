// A deterministic mutation fuzzer for LLVMFuzzerTestOneInput, for compilers
// without libFuzzer (GCC): it reads a seed corpus, checks that every seed is
// read cleanly, then feeds mutated copies (bit flips, interesting values,
// truncation, zeroed, copied and spliced ranges) to the target.
//
//   crmsim_fuzz_hdf5 CORPUS [--runs N] [--seconds S] [--seed X] [--fork FAILURES]
//   crmsim_fuzz_hdf5 CORPUS --seed X --input-of RUN FILE   (write run RUN's input, run nothing)
//   crmsim_fuzz_hdf5 --make-seeds FOLDER
//
// With --fork each input runs in a child process, so that a long session
// survives crashes and hangs: it counts them, keeps each failing input in
// FAILURES (with the child's backtrace for a hang) and goes on.
//
// The same seed gives the same inputs, so a failure in `make test` can be
// replayed. The target writes each input to a scratch file (printed at the
// start): after a crash, an ASan report or a hang it holds the input; keep
// it in the corpus once the bug is fixed. Exit status: 0 when every input
// was read or refused with a crmsim::Error; 1 on any other exception;
// 2 on a hang (more than 10 s for one input); a crash ends the process.
#include <execinfo.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

/// xorshift64*: small, fast and the same everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  std::uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  /// Uniform in [0, n); n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

/// An offset to change: half of the time in the first 4 kB, where HDF5 keeps
/// the superblock and the root group's headers.
std::size_t offset(Random& rng, std::size_t size) {
  if (size == 0) return 0;
  if (rng.below(2) == 0) return rng.below(std::min<std::size_t>(size, 4096));
  return rng.below(size);
}

void mutate(Bytes& in, const std::vector<Bytes>& corpus, Random& rng) {
  static const std::uint64_t interesting[] = {
      0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
      0x7FFFFFFFFFFFFFFFULL, 0x8000000000000000ULL, 0xFFFFFFFFFFFFFFFFULL, 36500, 4294967295ULL};
  const std::size_t steps = 1 + rng.below(rng.below(4) == 0 ? 8 : 2);
  for (std::size_t s = 0; s < steps && !in.empty(); ++s) {
    switch (rng.below(8)) {
      case 0:
      case 1: {  // flip a few bits
        const std::size_t bits = 1 + rng.below(4);
        for (std::size_t b = 0; b < bits; ++b) in[offset(rng, in.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
        break;
      }
      case 2: {  // an interesting integer, 1 to 8 bytes, either byte order
        const std::uint64_t v = interesting[rng.below(std::size(interesting))];
        const std::size_t width = std::size_t{1} << rng.below(4);
        const std::size_t at = offset(rng, in.size());
        const bool big_endian = rng.below(2) == 0;
        for (std::size_t k = 0; k < width && at + k < in.size(); ++k) {
          const std::size_t shift = 8 * (big_endian ? width - 1 - k : k);
          in[at + k] = static_cast<std::uint8_t>(v >> shift);
        }
        break;
      }
      case 3: {  // truncate
        in.resize(rng.below(in.size()));
        break;
      }
      case 4: {  // zero or fill a range
        const std::size_t at = offset(rng, in.size());
        const std::size_t n = std::min(in.size() - at, 1 + rng.below(256));
        std::fill_n(in.begin() + static_cast<std::ptrdiff_t>(at), n, rng.below(2) ? 0x00 : 0xFF);
        break;
      }
      case 5: {  // copy a range within the file
        const std::size_t from = rng.below(in.size());
        const std::size_t to = offset(rng, in.size());
        const std::size_t n = std::min({in.size() - from, in.size() - to, 1 + rng.below(256)});
        std::memmove(in.data() + to, in.data() + from, n);
        break;
      }
      case 6: {  // splice: the head of this file, the tail of another
        const Bytes& other = corpus[rng.below(corpus.size())];
        if (other.empty()) break;
        const std::size_t cut = rng.below(std::min(in.size(), other.size()));
        std::copy(other.begin() + static_cast<std::ptrdiff_t>(cut), other.end(),
                  std::back_inserter(in));
        in.erase(in.begin() + static_cast<std::ptrdiff_t>(cut),
                 in.begin() + static_cast<std::ptrdiff_t>(cut) +
                     static_cast<std::ptrdiff_t>(std::min(in.size() - cut, other.size() - cut)));
        break;
      }
      default: {  // insert random bytes
        const std::size_t at = offset(rng, in.size());
        Bytes extra(1 + rng.below(16));
        for (auto& b : extra) b = static_cast<std::uint8_t>(rng.next());
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(at), extra.begin(), extra.end());
        break;
      }
    }
  }
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

/// The run under way, for the hang message (-1: a seed).
volatile long long current_run = -1;

void on_hang(int) {
  // Only async-signal-safe calls here: write() and a hand-made number.
  static const char head[] = "crmsim_fuzz_hdf5: run ";
  static const char tail[] = " took more than 10 s (a hang); its input is in the scratch file\n";
  char digits[24];
  int n = 0;
  long long run = current_run;
  if (run < 0) {
    digits[n++] = '-';
  } else {
    do {
      digits[n++] = static_cast<char>('0' + run % 10);
      run /= 10;
    } while (run > 0 && n < 20);
  }
  std::reverse(digits, digits + n);
  (void)!::write(2, head, sizeof head - 1);
  (void)!::write(2, digits, static_cast<std::size_t>(n));
  (void)!::write(2, tail, sizeof tail - 1);
  ::_exit(2);
}

/// In a forked child: print where the hang is, then leave.
void on_child_hang(int) {
  static const char message[] = "hang; backtrace:\n";
  (void)!::write(2, message, sizeof message - 1);
  void* frames[64];
  const int n = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, n, 2);
  ::_exit(3);
}

/// Runs one input in a child process; returns "" or what went wrong.
std::string run_forked(const Bytes& input, const std::string& log) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = ::fork();
  if (child == 0) {
    if (FILE* f = std::freopen(log.c_str(), "w", stderr)) (void)f;
    ::signal(SIGALRM, on_child_hang);
    ::alarm(10);
    try {
      LLVMFuzzerTestOneInput(input.data(), input.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception that is not a crmsim error: %s\n", e.what());
      ::_exit(4);
    }
    ::_exit(0);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return "hang (killed)";
    }
    ::usleep(1000);
  }
  if (WIFSIGNALED(status)) return "crash (signal " + std::to_string(WTERMSIG(status)) + ")";
  const int code = WEXITSTATUS(status);
  if (code == 3) return "hang";
  if (code == 4) return "exception";
  if (code != 0) return "failure (exit " + std::to_string(code) + ", a sanitizer report?)";
  return "";
}

int usage() {
  std::fprintf(stderr,
               "usage: crmsim_fuzz_hdf5 CORPUS [--runs N] [--seconds S] [--seed X] [--fork FAILURES]\n"
               "       crmsim_fuzz_hdf5 CORPUS --seed X --input-of RUN FILE\n"
               "       crmsim_fuzz_hdf5 --make-seeds FOLDER\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--make-seeds") == 0) {
    crmsim::fuzz::make_seeds(argv[2]);
    std::printf("wrote the seed corpus to %s\n", argv[2]);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') return usage();
  const std::string corpus_dir = argv[1];
  long long runs = 1000;
  double seconds = 0.0;
  std::uint64_t seed = 1;
  std::string failures;
  long long input_of = -1;
  std::string input_file;
  for (int k = 2; k + 1 < argc; k += 2) {
    const std::string flag = argv[k];
    if (flag == "--input-of" && k + 2 < argc) {
      input_of = std::atoll(argv[k + 1]);
      input_file = argv[k + 2];
      ++k;
    }
    else if (flag == "--fork") failures = argv[k + 1];
    else if (flag == "--runs") runs = std::atoll(argv[k + 1]);
    else if (flag == "--seconds") seconds = std::atof(argv[k + 1]);
    else if (flag == "--seed") seed = std::strtoull(argv[k + 1], nullptr, 10);
    else return usage();
  }

  std::vector<std::filesystem::path> names;
  for (const auto& entry : std::filesystem::directory_iterator(corpus_dir)) {
    if (entry.is_regular_file()) names.push_back(entry.path());
  }
  std::sort(names.begin(), names.end());
  std::vector<Bytes> corpus;
  for (const auto& name : names) corpus.push_back(read_file(name));
  if (corpus.empty()) {
    std::fprintf(stderr, "crmsim_fuzz_hdf5: no seed files in %s\n", corpus_dir.c_str());
    return 64;
  }
  std::printf("crmsim_fuzz_hdf5: %zu seeds from %s; inputs go to %s\n", corpus.size(),
              corpus_dir.c_str(), crmsim::fuzz::scratch_file().c_str());

  std::fflush(stdout);
  if (input_of >= 0) {
    // Replays the mutations up to run `input_of` and writes its input.
    Random rng(seed);
    for (long long r = 0;; ++r) {
      Bytes input = corpus[rng.below(corpus.size())];
      mutate(input, corpus, rng);
      if (r == input_of) {
        std::ofstream(input_file, std::ios::binary)
            .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
        std::printf("wrote the input of run %lld (seed %llu) to %s\n", r,
                    static_cast<unsigned long long>(seed), input_file.c_str());
        return 0;
      }
    }
  }
  ::signal(SIGALRM, on_hang);
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  long long done = 0, results_read = 0, checkpoints_read = 0;
  double slowest = 0.0;
  std::string slowest_run;
  auto run_one = [&](const Bytes& input, const std::string& what) {
    const auto begun = std::chrono::steady_clock::now();
    ::alarm(10);
    try {
      LLVMFuzzerTestOneInput(input.data(), input.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "crmsim_fuzz_hdf5: %s: an exception that is not a crmsim error: %s\n"
                   "the input is in %s\n", what.c_str(), e.what(), crmsim::fuzz::scratch_file().c_str());
      std::exit(1);
    }
    ::alarm(0);
    ++done;
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
    if (took > slowest) {
      slowest = took;
      slowest_run = what;
    }
  };

  // The seeds themselves must be read cleanly: the fuzzer starts from valid files.
  for (std::size_t k = 0; k < corpus.size(); ++k) {
    run_one(corpus[k], names[k].filename().string());
    const auto outcome = crmsim::fuzz::read_input(crmsim::fuzz::scratch_file());
    const bool checkpoint = names[k].filename().string().rfind("checkpoint", 0) == 0;
    if (checkpoint ? !outcome.checkpoint_read : !outcome.results_read) {
      std::fprintf(stderr, "crmsim_fuzz_hdf5: the seed %s is not read cleanly (regenerate the "
                   "corpus with --make-seeds after a change of the file layout)\n",
                   names[k].string().c_str());
      return 1;
    }
  }

  Random rng(seed);
  if (!failures.empty()) {
    // A long session: every input in its own process; failures are kept.
    std::filesystem::create_directories(failures);
    const std::string log = failures + "/last-child.log";
    long long failed = 0;
    std::map<std::string, long long> kinds;
    long long r = 0;
    for (; seconds > 0.0 ? elapsed() < seconds : r < runs; ++r) {
      Bytes input = corpus[rng.below(corpus.size())];
      mutate(input, corpus, rng);
      const std::string what = run_forked(input, log);
      if (what.empty()) continue;
      ++failed;
      ++kinds[what.substr(0, what.find(' '))];
      const std::string name = failures + "/run-" + std::to_string(r);
      std::ofstream(name + ".h5", std::ios::binary)
          .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
      std::filesystem::copy_file(log, name + ".log", std::filesystem::copy_options::overwrite_existing);
      std::printf("run %lld: %s; kept as %s.h5\n", r, what.c_str(), name.c_str());
      std::fflush(stdout);
    }
    std::remove(log.c_str());
    std::remove(crmsim::fuzz::scratch_file().c_str());
    std::printf("crmsim_fuzz_hdf5: %lld inputs in %.1f s (seed %llu, one process each): %lld failed",
                r, elapsed(), static_cast<unsigned long long>(seed), failed);
    for (const auto& [kind, count] : kinds) std::printf(", %s %lld", kind.c_str(), count);
    std::printf("\n");
    return failed == 0 ? 0 : 1;
  }
  for (long long r = 0; seconds > 0.0 ? elapsed() < seconds : r < runs; ++r) {
    Bytes input = corpus[rng.below(corpus.size())];
    mutate(input, corpus, rng);
    current_run = r;
    run_one(input, "run " + std::to_string(r));
    // Tally what the mutated inputs gave, now and then (reading twice costs time).
    if (r % 16 == 0) {
      const auto outcome = crmsim::fuzz::read_input(crmsim::fuzz::scratch_file());
      results_read += outcome.results_read;
      checkpoints_read += outcome.checkpoint_read;
    }
  }
  std::remove(crmsim::fuzz::scratch_file().c_str());
  std::printf("crmsim_fuzz_hdf5: %lld inputs in %.1f s (seed %llu), no crash, no hang, only crmsim "
              "errors; of a sample of mutated inputs, %lld read as results and %lld restored as "
              "checkpoints\n",
              done, elapsed(), static_cast<unsigned long long>(seed), results_read, checkpoints_read);
  std::printf("crmsim_fuzz_hdf5: slowest input: %s, %.0f ms\n", slowest_run.c_str(), 1000.0 * slowest);
  std::fflush(stdout);  // before LeakSanitizer's report at exit, which leaves without flushing
  return 0;
}
