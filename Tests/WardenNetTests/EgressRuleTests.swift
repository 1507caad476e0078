import Testing
@testable import WardenNet

@Suite struct EgressRuleTests {}
