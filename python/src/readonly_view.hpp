// Read-only numpy views of engine memory, shared by the bindings.
#pragma once

#include <initializer_list>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace crmsim::bindings {

/// A read-only numpy view of `data` with `shape` (any list of extents, e.g.
/// `{n}` or a std::vector<std::size_t>), kept alive by `owner`: no copy, and
/// numpy refuses writes and refuses to make it writeable again.
template <class T, class Shape = std::initializer_list<pybind11::ssize_t>>
pybind11::array readonly_view(const T* data, const Shape& shape, pybind11::handle owner) {
  std::vector<pybind11::ssize_t> dims;
  for (auto extent : shape) dims.push_back(static_cast<pybind11::ssize_t>(extent));
  pybind11::array_t<T> view(dims, data, owner);
  pybind11::detail::array_proxy(view.ptr())->flags &=
      ~pybind11::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

}  // namespace crmsim::bindings
