"""The binding's mirrored structs have the library's sizes (a mismatch
would read fields at wrong offsets)."""
from fidkit import _lib


def test_every_mirrored_struct_has_the_library_size():
    for name in _lib.MIRRORED:
        assert _lib.ffi.sizeof(name) == _lib.lib.fk_abi_sizeof(name.encode()), name


def test_unknown_struct_is_zero():
    assert _lib.lib.fk_abi_sizeof(b"fk_not_a_struct") == 0


def test_default_options_carry_their_size():
    o = _lib.lib.fk_eval_default_options()
    assert o.struct_size == _lib.ffi.sizeof("fk_eval_options")
    assert o.replicates_fd == 200 and o.seed == 2020
