// The check of HDF5 global heap collections: a damaged one (an object list
// that would make libhdf5 1.10 loop forever or read out of bounds, as
// fuzzing found) is refused with a FileFormatError before libhdf5 reads it.
#include <catch2/catch.hpp>

#include <hdf5.h>

#include <cstdint>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/hdf5_output.hpp"
#include "crmsim/simulation.hpp"
#include "test_hdf5_support.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
namespace test = crmsim::test;

namespace {

/// A small results file; its names and text attributes live in global heaps.
std::string results_file(const test::ScratchFolder& dir) {
  auto spec = test::busy_scenario(5);
  spec.segments[0].market_size = 300;
  spec.segments[0].initial = {5, 10, 80, 20, 10, 15};
  spec.segments[1].market_size = 200;
  spec.segments[1].initial = {0, 5, 60, 30, 5, 10};
  crmsim::Simulation sim(spec, {.seed = 1, .threads = 1});
  const std::string path = dir.file("run.h5");
  crmsim::ResultsOptions options;
  options.scenario_yaml = "name: heap test marker\n";
  crmsim::ResultsWriter out(path, sim, options);
  sim.run_to_end();
  out.write(sim);
  out.commit(sim);
  return path;
}

void put_u64(std::string& bytes, std::size_t at, std::uint64_t v) {
  for (int k = 0; k < 8; ++k) bytes[at + static_cast<std::size_t>(k)] = static_cast<char>(v >> (8 * k));
}

std::uint64_t get_u64(const std::string& bytes, std::size_t at) {
  std::uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(k)]);
  return v;
}

}  // namespace

TEST_CASE("a damaged global heap is refused before libhdf5 reads it", "[hdf5][heap]") {
  test::ScratchFolder dir;
  const std::string path = results_file(dir);
  REQUIRE_NOTHROW(crmsim::read_results(path));
  std::string bytes = test::read_bytes(path);
  // A collection with a free space object (index 0), which comes last.
  std::size_t heap = std::string::npos, first = 0, free_space = 0;
  std::uint64_t size = 0;
  for (std::size_t at = bytes.find("GCOL"); at != std::string::npos && heap == std::string::npos;
       at = bytes.find("GCOL", at + 1)) {
    size = get_u64(bytes, at + 8);
    // Objects follow the 16-byte header: index (2), references (2), reserved (4), size (8), data.
    for (std::size_t p = at + 16; p + 16 <= at + size;) {
      if ((static_cast<unsigned char>(bytes[p]) | static_cast<unsigned char>(bytes[p + 1])) == 0) {
        heap = at;
        first = at + 16;
        free_space = p;
        break;
      }
      p += 16 + ((get_u64(bytes, p + 8) + 7) & ~std::uint64_t{7});
    }
  }
  REQUIRE(heap != std::string::npos);
  REQUIRE(free_space > first);  // object 1 first, the free space after it

  SECTION("free space of size 0: libhdf5 would loop forever") {
    put_u64(bytes, free_space + 8, 0);
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(crmsim::read_results(path),
                      Contains("global heap collection at byte " + std::to_string(heap)) &&
                          Contains("its free space has an impossible size (0)"));
  }
  SECTION("an object larger than its collection: libhdf5 would read out of bounds") {
    put_u64(bytes, first + 8, 1ULL << 40);
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(crmsim::read_results(path), Contains("is larger than its collection"));
  }
  SECTION("an object that runs past the end of its collection") {
    put_u64(bytes, first + 8, size - 20);
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(crmsim::read_results(path), Contains("runs past the end of its collection"));
  }
  SECTION("a collection size near 2^64: libhdf5's end-of-file check wraps around") {
    // Found by the HDF5 fuzz session under ASan (seed 12): a size of
    // 2^64 - 1 passed libhdf5's `address + size > end of file` check and
    // it asked for a 16 EB buffer (ASan stops; a plain build fails the
    // allocation and the read).
    put_u64(bytes, heap + 8, ~std::uint64_t{0});
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(crmsim::read_results(path),
                      Contains("global heap collection at byte " + std::to_string(heap)) &&
                          Contains("claims 18446744073709551615 bytes, more than the whole file"));
    put_u64(bytes, heap + 8, ~std::uint64_t{0} - heap);  // address + size is HDF5's "undefined"
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(crmsim::read_results(path), Contains("more than the whole file"));
  }
  SECTION("the same for checkpoints and snapshots: every reader opens files the same way") {
    put_u64(bytes, free_space + 8, 0);
    test::write_bytes(path, bytes);
    CHECK_THROWS_AS(crmsim::read_checkpoint(path), crmsim::FileFormatError);
    CHECK_THROWS_AS(crmsim::read_snapshot(path, 0), crmsim::FileFormatError);
  }
}

TEST_CASE("text that is not UTF-8 is refused, not handed on", "[hdf5][heap]") {
  // Found by fuzzing crmsim.load: a flipped byte in a string reached Python
  // as undecodable bytes (UnicodeDecodeError instead of a crmsim error).
  test::ScratchFolder dir;
  const std::string path = results_file(dir);
  std::string bytes = test::read_bytes(path);
  const std::size_t at = bytes.find("heap test marker");
  REQUIRE(at != std::string::npos);
  bytes[at + 5] = static_cast<char>(0xFF);
  test::write_bytes(path, bytes);
  CHECK_THROWS_WITH(crmsim::read_results(path), Contains("is not UTF-8 text"));
}

TEST_CASE("a string longer than the whole file is refused before libhdf5 allocates it", "[hdf5][heap]") {
  // Found by the fuzz test (CI, run 3196 of seed 1): a flipped length field
  // in /names/segments made libhdf5 allocate and clear 4 GB, which took
  // more than 10 s on a busy machine.
  test::ScratchFolder dir;
  const std::string path = results_file(dir);
  haddr_t at = HADDR_UNDEF;
  {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    const hid_t set = H5Dopen2(file, "/names/segments", H5P_DEFAULT);
    REQUIRE(set >= 0);
    at = H5Dget_offset(set);
    H5Dclose(set);
    H5Fclose(file);
  }
  REQUIRE(at != HADDR_UNDEF);
  std::string bytes = test::read_bytes(path);
  // The first reference: length (4 bytes), heap address, object index.
  for (int k = 0; k < 4; ++k) bytes[at + static_cast<std::size_t>(k)] = static_cast<char>(0xF0);
  test::write_bytes(path, bytes);
  CHECK_THROWS_WITH(crmsim::read_results(path),
                    Contains("variable-length string 0 of the dataset at byte " + std::to_string(at)) &&
                        Contains("claims 4042322160 bytes, more than the whole file"));
}

TEST_CASE("damaged scenario text is refused: its digest sits in a checksummed header", "[hdf5][heap]") {
  // Found by fuzzing crmsim.resume: a flipped bit turned "days: 30" of the
  // stored scenario into "days: 20", and the run resumed for 20 days. The
  // text lives in a global heap, which has no checksum.
  test::ScratchFolder dir;
  const std::string path = results_file(dir);
  std::string bytes = test::read_bytes(path);
  const std::size_t at = bytes.find("heap test marker");
  REQUIRE(at != std::string::npos);
  SECTION("a changed character") {
    bytes[at] = 'H';
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(crmsim::read_results(path),
                      Contains("scenario text (attribute 'scenario_yaml') does not match the digest"));
  }
  SECTION("a zero byte that cuts the text short") {
    bytes[at + 4] = '\0';
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(crmsim::read_results(path), Contains("does not match the digest"));
  }
  SECTION("a file written before the digest existed is read as before") {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    CHECK(H5Adelete(file, "scenario_yaml_fnv1a64") >= 0);
    H5Fclose(file);
    CHECK(crmsim::read_results(path).scenario_yaml == "name: heap test marker\n");
  }
}
