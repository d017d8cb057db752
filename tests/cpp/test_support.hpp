// Small scenarios shared by the engine tests.
#pragma once

#include "crmsim/scenario.hpp"

namespace crmsim::test {

/// A two-segment scenario in which every lifecycle path is busy.
inline ScenarioSpec busy_scenario(int days = 120) {
  ScenarioSpec spec;
  spec.name = "busy";
  spec.days = days;
  spec.lifecycle.welcome_days = 20;
  spec.lifecycle.enquiry_window_days = 7;
  spec.lifecycle.winback_window_days = 15;

  SegmentSpec a;
  a.name = "young";
  a.market_size = 30011;  // not a multiple of any chunk size used in the tests
  a.initial = {200, 800, 6000, 900, 300, 400};
  a.acquisition = {0.5, 2.0, 0.4, 0.6};
  a.churn = {0.6, 0.3, 2.0, 0.6, 4.0};
  a.purchases = {24.0, 1.5, 20.0, 3.0};
  a.development = {1.0, 1.5};
  a.problems = {2.0, 10.0};

  SegmentSpec b = a;
  b.name = "families";
  b.market_size = 17003;
  b.initial = {0, 100, 3000, 2000, 0, 50};
  b.acquisition = {0.2, 1.0, 0.0, 0.5};
  b.churn = {0.3, 0.0, 1.5, 0.5, 3.0};
  b.purchases = {12.0, 4.0, 35.0, 6.0};
  spec.segments = {a, b};
  return spec;
}

}  // namespace crmsim::test
