// libFuzzer's C entry point (compiler-rt's FuzzerInterface.h), so that the Swift executable can own
// `main` (SwiftPM names an executable's entry point itself) and hand over to libFuzzer's driver.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
