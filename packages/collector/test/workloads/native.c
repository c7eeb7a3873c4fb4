/* A native workload with frame pointers: main -> level_one -> level_two -> burn_cpu.
 * Build: gcc -O0 -fno-omit-frame-pointer -o native native.c
 * Usage: ./native SECONDS   (prints "ready PID") */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) void burn_cpu(void) {
  for (unsigned long i = 0; i < 2000000; i++) sink += i * i;
}

__attribute__((noinline)) void level_two(void) { burn_cpu(); }

__attribute__((noinline)) void level_one(void) { level_two(); }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5.0;
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  double end = now() + seconds;
  while (now() < end) level_one();
  return 0;
}
