import Foundation
import Testing
import WardenCore
@testable import WardenPolicy

/// `admission.elf` and `commands.libraries`: parsed strictly, safe defaults, errors name the field.
@Suite struct AdmissionRulesTests {
    func parse(_ extra: String) throws(WardenError) -> Policy {
        try PolicyLoader.parse("version: 1\nname: p\n" + extra, file: "p.yaml")
    }

    func code(_ extra: String) -> (String, String)? {
        do throws(WardenError) { _ = try parse(extra); return nil } catch { return (error.code, error.message) }
    }

    @Test func defaultsRefuseWhatAnOrdinaryBuildDoesNotNeed() throws {
        let p = try parse("")
        #expect(p.admission == AdmissionRules())
        #expect(!p.admission.staticOnly && !p.admission.allowExecStack && !p.admission.allowTextRelocations && p.admission.interpreters.isEmpty)
        #expect(p.commands.libraries.isEmpty)
        let json = CanonicalJSON.string(PolicyJSON.encode(p))
        #expect(json.contains("\"admission\":{\"elf\":{\"allow_exec_stack\":false,\"allow_text_relocations\":false,\"interpreters\":[],\"static_only\":false}}"), "\(json)")
    }

    @Test func everyFieldParses() throws {
        let p = try parse("""
            admission: {elf: {interpreters: [/lib64/ld-linux-x86-64.so.2], allow_exec_stack: true, allow_text_relocations: true}}
            commands: {allow: [python3], libraries: [/usr/lib/python3.11/lib-dynload]}
            """)
        #expect(p.admission.interpreters == ["/lib64/ld-linux-x86-64.so.2"])
        #expect(p.admission.allowExecStack && p.admission.allowTextRelocations)
        #expect(p.commands.libraries == ["/usr/lib/python3.11/lib-dynload"])
        #expect(try parse("admission: {elf: {static_only: true}}").admission.staticOnly)
    }

    @Test func badInputNamesTheField() {
        let unknown = code("admission: {elf: {allow_setuid: true}}")
        #expect(unknown?.1.contains("admission.elf") == true, "\(String(describing: unknown))")
        #expect(code("admission: {wasm: {}}")?.1.contains("admission") == true)
        let relative = code("admission: {elf: {interpreters: [ld.so]}}")
        #expect(relative?.0 == "policy.path" && relative?.1.contains("admission.elf.interpreters[0]") == true, "\(String(describing: relative))")
        let both = code("admission: {elf: {static_only: true, interpreters: [/lib64/ld.so]}}")
        #expect(both?.0 == "policy.value", "\(String(describing: both))")
        #expect(code("admission: {elf: {static_only: yes-please}}") != nil)
        let lib = code("commands: {libraries: [/usr/lib/../etc]}")
        #expect(lib?.0 == "policy.path" && lib?.1.contains("commands.libraries[0]") == true, "\(String(describing: lib))")
    }
}
