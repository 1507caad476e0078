/// The identifier rule shared by key names and tenants: 1-64 bytes of `A-Z a-z 0-9 . _ -`, not
/// starting with `.`. Safe as a path component (key files) and unambiguous in listings.
public enum Identifier {
    public static func isValid(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && !text.hasPrefix(".") && text.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E
        }
    }
}
