// Profiling driver: runs the campaign test scenario scaled up and prints time per phase.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "crmsim/simulation.hpp"
#include "../../tests/cpp/test_support.hpp"

int main(int argc, char** argv) {
  const double scale = argc > 1 ? std::atof(argv[1]) : 20.0;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const bool campaigns = argc > 3 ? std::atoi(argv[3]) != 0 : true;
  auto spec = crmsim::test::busy_scenario(365);
  if (campaigns) spec = crmsim::test::with_campaigns(spec);
  for (auto& s : spec.segments) {
    s.market_size = static_cast<std::int64_t>(static_cast<double>(s.market_size) * scale);
    auto& i = s.initial;
    for (auto* v : {&i.lead, &i.new_customer, &i.active, &i.developed, &i.at_risk, &i.lapsed}) {
      *v = static_cast<std::int64_t>(static_cast<double>(*v) * scale);
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  crmsim::Simulation sim(spec, {.seed = 1, .threads = threads});
  const auto t1 = std::chrono::steady_clock::now();
  sim.run_to_end();
  const auto t2 = std::chrono::steady_clock::now();
  const double run = std::chrono::duration<double>(t2 - t1).count();
  const double n = static_cast<double>(sim.agents().size());
  std::printf("agents %.0f init %.3f s run %.3f s -> %.1f M customer-days/s\n", n,
              std::chrono::duration<double>(t1 - t0).count(), run, n * 365 / run / 1e6);
}
