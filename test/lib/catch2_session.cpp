// Catch2's implementation and a main() around test_setup() and
// test_teardown() (test_main.h), compiled once for the test programs that
// prepare their environment before their tests run.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "test_main.h"

int main(int argc, char** argv)
{
    if (const int status = test_setup(); status != 0)
        return status;
    const int failures = Catch::Session().run(argc, argv);
    test_teardown(failures);
    return failures;
}
