#!/usr/bin/env bash
# krt on a cluster with SASL/PLAIN and ACLs (started here, once, in its own
# state directory, and always torn down): --command-config in the Java
# format works, a wrong password and a missing permission are clear one-line
# errors with exit code 3, and a refused deletion changes nothing.
. "$(dirname "$0")/../lib.sh"
export KRT_CLUSTER_DIR="$tmp/sasl-cluster"
trap '"$cluster" down >/dev/null 2>&1; rm -rf "$tmp"' EXIT
SB=$("$cluster" start --sasl 2>"$tmp/start.err") || bail "cannot start SASL cluster: $(tail -3 "$tmp/start.err")"
admin="$KRT_CLUSTER_DIR/admin.properties"
alice="$KRT_CLUSTER_DIR/alice.properties"

# An ACL reaches the brokers a moment after kafka-acls returned (KRaft
# metadata): until CMD... succeeds and its stderr holds TEXT, 30 s at most,
# instead of a fixed second that a loaded machine can outlast.
acl_in_effect() { # acl_in_effect WANT_RC TEXT CMD...
    local want=$1 text=$2 t0=$SECONDS; shift 2
    while :; do
        run "$@"
        [[ $rc == "$want" && $err == *"$text"* ]] && return 0
        ((SECONDS - t0 < 30)) || return 0 # the assertions that follow say what is wrong
        sleep 0.5
    done
}
T=$(topic_name sasl)
kcli kafka-topics --bootstrap-server "$SB" --command-config "$admin" --create --topic "$T" \
    --partitions 2 --replication-factor 3 >/dev/null 2>&1 || bail "cannot create topic as admin"
echo "a:1" | kcat -P -b "$SB" -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN \
    -X sasl.username=admin -X sasl.password=admin-secret -t "$T" -p 0 -K: || bail "produce failed"

run krt offsets -b "$SB" --command-config "$admin" --topic "$T" --json
eq "admin via --command-config exits 0" "$rc" 0
eq "admin sees the high watermark" "$(jq -r '.partitions[] | select(.partition == 0) | .high_watermark' "$tmp/out")" 1

# alice may describe the cluster but has no ACL on the topic: it is invisible
# to her metadata, so krt cannot tell it from a missing topic; Kafka hides it.
run krt offsets -b "$SB" --command-config "$alice" --topic "$T"
eq "alice without ACL exits 2 (topic hidden by the broker)" "$rc" 2
contains "the error names the topic" "$err" "'$T'"

# with DESCRIBE on the topic but no READ on the group: group authorization fails
kcli kafka-acls --bootstrap-server "$SB" --command-config "$admin" --add --allow-principal User:alice \
    --operation Describe --topic "$T" >/dev/null 2>&1 || bail "cannot add ACL"
acl_in_effect 0 "" krt offsets -b "$SB" --command-config "$alice" --topic "$T" --json
eq "alice with DESCRIBE reads offsets" "$rc" 0
run krt offsets -b "$SB" --command-config "$alice" --group "billing-$$"
eq "alice without group ACL exits 3" "$rc" 3
contains "the error says not authorized" "$err" "uthorization"
eq "the error is one line" "$(printf '%s\n' "$err" | wc -l)" 1

sed 's/alice-secret/wrong-password/' "$alice" >"$tmp/wrong.properties"
run krt offsets -b "$SB" --command-config "$tmp/wrong.properties" --timeout 5s --topic "$T"
eq "wrong password exits 3" "$rc" 3
contains "wrong password: authentication is named" "$err" "uthentication"
lacks "wrong password is not printed" "$err$out" "wrong-password"
# krt-resend as alice, who may use krt-resend's group, transactional ids and
# target topics, and describe the source, but not read it (issue 10, defect
# 13): one clear error and exit 3, not a silent loop
for acl in "--operation Read --operation Describe --group krt-resend. --resource-pattern-type prefixed" \
    "--operation All --topic $T.resend. --resource-pattern-type prefixed" \
    "--operation All --transactional-id krt-resend. --resource-pattern-type prefixed"; do
    # shellcheck disable=SC2086
    kcli kafka-acls --bootstrap-server "$SB" --command-config "$admin" --add --allow-principal User:alice \
        $acl >/dev/null 2>&1 || bail "cannot add ACL $acl"
done
acl_in_effect 3 "'$T'" timeout 120 "$build/tools/krt-resend" -b "$SB" --command-config "$alice" --id acl-$$ --team t \
    --topic "$T" --execute
eq "resend without READ on the source exits 3" "$rc" 3
contains "the error says not authorized" "$err" "uthoriz"
contains "the error names the source topic" "$err" "'$T'"
eq "the error is one line" "$(printf '%s\n' "$err" | wc -l)" 1
# krt-truncate as alice, who may describe the topic and its configs but not
# delete from it
kcli kafka-acls --bootstrap-server "$SB" --command-config "$admin" --add --allow-principal User:alice \
    --operation DescribeConfigs --topic "$T" >/dev/null 2>&1 || bail "cannot add ACL"
acl_in_effect 3 "cannot delete records of '$T'" krt truncate -b "$SB" --command-config "$alice" --topic "$T" --execute
eq "truncate without DELETE permission exits 3" "$rc" 3
contains "the error names the topic" "$err" "cannot delete records of '$T'"
contains "the error says not authorized" "$err" "uthoriz"
eq "the error is one line" "$(printf '%s\n' "$err" | wc -l)" 1
eq "nothing was deleted" "$(kcat -b "$SB" -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN \
    -X sasl.username=admin -X sasl.password=admin-secret -Q -t "$T:0:-2" 2>/dev/null | awk '{ print $4 }')" 0
run krt truncate -b "$SB" --command-config "$admin" --topic "$T" --execute
eq "admin may truncate" "$rc" 0
done_testing
