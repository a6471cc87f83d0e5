// Error and Result: the error values of cairn::api.
//
// Everything in cairn::api is parsing and validation of untrusted text (release tags from a feed,
// versions from a user's spec, JSON from the API server), so the only failure is "this input is
// malformed"; an Error carries a message that names the input and says what was expected. Plain
// value types; thread-compatible.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace cairn::api {

struct Error {
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> error(std::string message) {
  return tl::unexpected<Error>(Error{std::move(message)});
}

}  // namespace cairn::api
