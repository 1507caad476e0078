import Foundation
import WardenCore
import WardenTrust

/// Approval tokens: compact JWS (`typ: warden-approval+jws`) signed by a key with the
/// `approver` role, with payload
/// `{"v":1,"rid":"sha256:…","op":"network+write","tenant":"acme","policy":"ci","iat":…,"exp":…,"nonce":"…"}`.
/// `exp - iat` must not exceed the policy's `approvals.ttl_seconds`; the nonce is consumed
/// once, durably, by `PolicyStore.admit`.
public enum ApprovalToken {
    public static let type = "warden-approval+jws"
    /// Clock skew tolerated for `iat` in the future.
    public static let skew: TimeInterval = 60

    /// Issues a token approving `record` for `ttl` seconds (default: the policy TTL recorded
    /// with the request), signed by `signer`, which must be an approver the policy lists.
    public static func issue(for record: PolicyStore.ApprovalRecord, signer: Signer, ttl: Int64?, now: Date,
                             nonce: String = ApprovalToken.randomNonce()) throws(WardenError) -> (token: String, expiresAt: Date) {
        guard record.status == "pending" else {
            throw .usage("approval.not_pending", "request \(record.id) is \(record.status), not pending")
        }
        guard record.approvers.contains(signer.kid) else {
            throw .denied("approval.unlisted_approver", "key \(signer.name) (\(signer.kid)) is not among the approvers of policy \(record.policy)")
        }
        let seconds = ttl ?? record.ttlSeconds
        guard seconds > 0, seconds <= record.ttlSeconds else {
            throw .usage("approval.ttl_exceeded", "--ttl \(seconds) must be between 1 and the policy's approvals.ttl_seconds (\(record.ttlSeconds))")
        }
        let iat = Int64(now.timeIntervalSince1970.rounded(.down))
        let payload: JSONValue = [
            "v": 1, "rid": .string(record.id), "op": .string(record.operation), "tenant": .string(record.tenant),
            "policy": .string(record.policy), "iat": .int(iat), "exp": .int(iat + seconds), "nonce": .string(nonce),
        ]
        let token = try JWS.sign(payload: payload, type: type, signer: signer)
        return (token, Date(timeIntervalSince1970: TimeInterval(iat + seconds)))
    }

    /// 128 random bits, base64url.
    public static func randomNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &g) })
    }

    /// Verifies `token` for the approval `need` of `request` under `policy`. Each way a
    /// token can be wrong has its own error code: `approval.not_approver` (signed by a key
    /// without the approver role), `approval.bad_token` (signature, unknown key, malformed),
    /// `approval.unlisted_approver`, `approval.wrong_request`, `approval.wrong_tenant`,
    /// `approval.wrong_operation`, `approval.expired`, `approval.ttl_exceeded`,
    /// `approval.replayed`, `approval.denied`.
    public static func verify(_ token: String, need: ApprovalNeed, request: ExecutionRequest, policy: Policy,
                              trust: TrustStore, store: PolicyStore, now: Date) throws(WardenError) -> VerifiedApproval {
        let verified: VerifiedJWS
        do {
            verified = try JWS.verify(token, type: type, role: .approver, trust: trust, now: now)
        } catch where error.code == "trust.wrong_role" {
            throw .denied("approval.not_approver", "approval token rejected: \(error.message)")
        } catch {
            throw .denied("approval.bad_token", "approval token rejected: \(error.message) [\(error.code)]")
        }
        let p = verified.payload
        guard p["v"]?.intValue == 1, let rid = p["rid"]?.stringValue, let op = p["op"]?.stringValue,
            let tenant = p["tenant"]?.stringValue, let iat = p["iat"]?.intValue, let exp = p["exp"]?.intValue,
            let nonce = p["nonce"]?.stringValue, nonce.utf8.count >= 16, nonce.utf8.count <= 128
        else { throw .denied("approval.bad_token", "approval token payload is missing v, rid, op, tenant, iat, exp or nonce") }
        let kid = verified.key.kid
        guard policy.approvals.approvers.contains(kid) else {
            throw .denied("approval.unlisted_approver", "approval signed by \(verified.key.name) (\(kid)), who is not in policy \(policy.name)'s approvals.approvers")
        }
        guard rid == need.requestID else { throw .denied("approval.wrong_request", "approval is for request \(rid), not \(need.requestID)") }
        guard tenant == request.tenant else { throw .denied("approval.wrong_tenant", "approval is for tenant \(tenant), not \(request.tenant)") }
        guard op == need.operation else { throw .denied("approval.wrong_operation", "approval is for operation \(op), not \(need.operation)") }
        let nowSeconds = now.timeIntervalSince1970
        guard Double(exp) > nowSeconds else {
            throw .denied("approval.expired", "approval expired at \(RFC3339.format(Date(timeIntervalSince1970: TimeInterval(exp))))")
        }
        guard exp > iat, exp - iat <= policy.approvals.ttlSeconds, Double(iat) <= nowSeconds + skew else {
            throw .denied("approval.ttl_exceeded", "approval lifetime \(exp - iat)s (issued \(iat)) exceeds the policy TTL of \(policy.approvals.ttlSeconds)s or is not yet valid")
        }
        if try store.isConsumed(nonce: nonce) {
            throw .denied("approval.replayed", "approval nonce \(nonce) was already used")
        }
        if let record = try? store.approval(rid), record.status == "denied" {
            throw .denied("approval.denied", "request \(rid) was refused by an approver")
        }
        return VerifiedApproval(requestID: rid, operation: op, tenant: tenant, expiresAt: Date(timeIntervalSince1970: TimeInterval(exp)),
                                nonce: nonce, approverKid: kid)
    }
}
