// Placeholder so the package builds on the policy branch before the lead's tests land; delete on merge.
import Testing
