/* A shared object that is not a fidkit plugin. */
__attribute__((visibility("default"))) int not_a_plugin(void) { return 42; }
