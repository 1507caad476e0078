/// The few numbers from the ELF gABI and glibc's <elf.h> this module needs.
enum ELFConstant {
    static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]  // "\x7fELF"
    static let classELF32: UInt8 = 1, classELF64: UInt8 = 2
    static let data2LSB: UInt8 = 1, data2MSB: UInt8 = 2
    static let versionCurrent: UInt32 = 1
    static let phnumExtended: UInt16 = 0xFFFF  // PN_XNUM: the real count lives in section 0

    static let ptLoad: UInt32 = 1, ptDynamic: UInt32 = 2, ptInterp: UInt32 = 3
    static let ptGNUStack: UInt32 = 0x6474_E551
    static let pfX: UInt32 = 1

    static let dtNull: UInt64 = 0, dtNeeded: UInt64 = 1, dtStrtab: UInt64 = 5, dtStrsz: UInt64 = 10
    static let dtSoname: UInt64 = 14, dtRpath: UInt64 = 15, dtTextrel: UInt64 = 22
    static let dtRunpath: UInt64 = 29, dtFlags: UInt64 = 30, dtFlags1: UInt64 = 0x6FFF_FFFB
    static let dfTextrel: UInt64 = 0x4
    static let df1Nodeflib: UInt64 = 0x800
}
