// The chuhai binary: everything it does is in run_command_line() (daemon/app/command_line.h), so
// that tests can run the same command line in process.

#include "app/command_line.h"

int main(int argc, char** argv) {
    return chuhai::app::run_command_line(argc, argv);
}
