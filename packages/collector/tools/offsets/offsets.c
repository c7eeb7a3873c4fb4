/*
 * Prints the CPython struct offsets the collector reads out of process (src/python/offsets.ts), measured with
 * offsetof()/sizeof() against one CPython version's internal headers. Run it through offsets.mjs, which finds the
 * headers and compiles it:
 *
 *   pnpm --filter @perforator/collector offsets -- <CPython source tree (configured) or include/python3.X dir>
 *
 * Output: "PY_VERSION <version> <hex>" then one "<name> <value>" line per measured field; offsets.mjs turns it into
 * the TypeScript table. Only headers are used: nothing links against libpython, so any version's headers work on any
 * machine with gcc. A field a new release renamed or moved fails to compile here, naming the field: add a
 * PY_VERSION_HEX branch for it.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "pycore_code.h"
#include "pycore_frame.h"
#include "pycore_interp.h"
#include "pycore_pystate.h"
#include "pycore_runtime.h"

#define P(name, expr) printf("%s %lld\n", name, (long long)(expr))
#define OFF(T, f) P(#T "." #f, offsetof(T, f))
#define SZ(T) P("sizeof(" #T ")", sizeof(T))

int main(void) {
    printf("PY_VERSION %s 0x%08x\n", PY_VERSION, (unsigned)PY_VERSION_HEX);

    /* _PyRuntimeState */
    OFF(_PyRuntimeState, interpreters.head);
#if PY_VERSION_HEX >= 0x030C0000
    OFF(_PyRuntimeState, autoTSSkey);
#else
    OFF(_PyRuntimeState, gilstate.autoTSSkey);
#endif

    /* PyInterpreterState */
    OFF(PyInterpreterState, next);
    OFF(PyInterpreterState, threads.head);

    /* PyThreadState */
    OFF(PyThreadState, next);
    OFF(PyThreadState, interp);
#if PY_VERSION_HEX >= 0x030D0000
    OFF(PyThreadState, current_frame);
#else
    OFF(PyThreadState, cframe);
    OFF(_PyCFrame, current_frame);
#endif
    OFF(PyThreadState, thread_id);
    OFF(PyThreadState, native_thread_id);

    /* _PyInterpreterFrame */
#if PY_VERSION_HEX >= 0x030D0000
    OFF(_PyInterpreterFrame, f_executable);
    OFF(_PyInterpreterFrame, instr_ptr);
#else
    OFF(_PyInterpreterFrame, f_code);
    OFF(_PyInterpreterFrame, prev_instr);
#endif
    OFF(_PyInterpreterFrame, previous);
    OFF(_PyInterpreterFrame, owner);
#if PY_VERSION_HEX < 0x030C0000
    OFF(_PyInterpreterFrame, is_entry);
#else
    P("FRAME_OWNED_BY_CSTACK", FRAME_OWNED_BY_CSTACK);
#endif

    /* PyCodeObject */
    OFF(PyCodeObject, co_firstlineno);
#if PY_VERSION_HEX >= 0x030C0000
    OFF(PyCodeObject, co_version);
#endif
    OFF(PyCodeObject, co_filename);
    OFF(PyCodeObject, co_name);
    OFF(PyCodeObject, co_qualname);
    OFF(PyCodeObject, co_linetable);
    OFF(PyCodeObject, _co_firsttraceable);
    OFF(PyCodeObject, co_code_adaptive);

    /* Objects, bytes and str */
    OFF(PyObject, ob_type);
    OFF(PyVarObject, ob_size);
    OFF(PyBytesObject, ob_sval);
    OFF(PyASCIIObject, length);
    OFF(PyASCIIObject, state);
    SZ(PyASCIIObject);
    SZ(PyCompactUnicodeObject);
    OFF(PyUnicodeObject, data);
    return 0;
}
