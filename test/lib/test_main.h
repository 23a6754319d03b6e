// The main() of the Catch2 test programs that prepare their environment
// first (test/lib/catch2_session.cpp): it calls test_setup() (non-zero: exit
// with that status before any test), runs the tests, then test_teardown()
// with the number of failures, which is also the exit status.
#pragma once

int test_setup();
void test_teardown(int failures);
