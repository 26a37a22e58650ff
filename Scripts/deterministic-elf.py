"""Makes a linked ceauth independent of the folder it was built in (Scripts/release runs it).

Swift records in `.swift_modhash` a hash of each module's compilation, which includes the
build folder's path; nothing reads it at run time (it is for debuggers). Its bytes are zeroed,
and the GNU build id (a hash lld took over the whole file, that section included) is then set
to the SHA-1 of the file with its own 20 bytes zeroed: the same sources give the same bytes.

Usage: deterministic-elf.py FILE
"""
import hashlib
import struct
import sys


def sections(data):
    """(name, offset, size) of each section of a 64-bit little-endian ELF file."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_offset = headers[shstrndx][4]
    for name, _type, _flags, _addr, offset, size, *_ in headers:
        end = data.index(b"\0", names_offset + name)
        yield data[names_offset + name:end].decode(), offset, size


def main():
    path = sys.argv[1]
    data = bytearray(open(path, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("deterministic-elf: %s is not a 64-bit little-endian ELF file" % path)
    found = {name: (offset, size) for name, offset, size in sections(data)}
    if ".swift_modhash" in found:
        offset, size = found[".swift_modhash"]
        data[offset:offset + size] = bytes(size)
    if ".note.gnu.build-id" in found:
        offset, _ = found[".note.gnu.build-id"]
        namesz, descsz, _kind = struct.unpack_from("<III", data, offset)
        desc = offset + 12 + ((namesz + 3) & ~3)
        data[desc:desc + descsz] = bytes(descsz)
        data[desc:desc + descsz] = hashlib.sha1(data).digest()[:descsz]
    open(path, "wb").write(data)


if __name__ == "__main__":
    main()
