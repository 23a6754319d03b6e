// Catch2's implementation and its main(), compiled once for every test
// program that needs no main of its own.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
