"""Start moto's server with shims for gaps of moto 5.2.1.

Used only by tests and the deployment rehearsal (never by the stacks).
Each shim names the gap it fills; all extend moto's classes before its
server starts.
"""
import json
import sys

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.cognitoidp.models import CognitoIdpUserPool
from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.elbv2.models import ELBv2Backend
from moto.server import main

# Gap 1: ECS CreateService ignores fields it does not model. The Terraform
# provider then sees them missing and plans an update on every run. Keep
# them on the service object (UpdateService already does the same with setattr).
_KEPT_ON_CREATE = {
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}
_create_service = EC2ContainerServiceResponse.create_service


def create_service(self):
    result = _create_service(self)
    cluster = self._get_param("cluster", "default")
    service = self.ecs_backend._get_service(cluster, self._get_param("serviceName"))
    for param, attr in _KEPT_ON_CREATE.items():
        value = self._get_param(param)
        if value is not None:
            setattr(service, attr, value)
    return result


EC2ContainerServiceResponse.create_service = create_service

# Gap 2: Application Auto Scaling has no tagging API; the provider always
# calls ListTagsForResource for aws_appautoscaling_target. Keep tags in memory.
_tags: dict = {}


def list_tags_for_resource(self):
    return json.dumps({"Tags": _tags.get(self._get_param("ResourceARN"), {})})


def tag_resource(self):
    _tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
    return "{}"


def untag_resource(self):
    for key in self._get_param("TagKeys") or []:
        _tags.get(self._get_param("ResourceARN"), {}).pop(key, None)
    return "{}"


_register_scalable_target = ApplicationAutoScalingResponse.register_scalable_target


def register_scalable_target(self):
    result = _register_scalable_target(self)
    tags = self._get_param("Tags")
    if tags:
        _tags.setdefault(json.loads(result)["ScalableTargetARN"], {}).update(tags)
    return result


ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
ApplicationAutoScalingResponse.tag_resource = tag_resource
ApplicationAutoScalingResponse.untag_resource = untag_resource

# Gap 3: ELBv2 CreateLoadBalancer stores no scheme when the request omits it
# (the provider omits it for internet-facing); AWS defaults to internet-facing.
_create_load_balancer = ELBv2Backend.create_load_balancer


def create_load_balancer(self, *args, **kwargs):
    if kwargs.get("scheme") is None:
        kwargs["scheme"] = "internet-facing"
    return _create_load_balancer(self, *args, **kwargs)


ELBv2Backend.create_load_balancer = create_load_balancer

# Gap 4: ELBv2 CreateTargetGroup is idempotent on AWS ("If you attempt to
# create multiple target groups with the same settings, each call succeeds",
# Elastic Load Balancing API Reference, CreateTargetGroup); moto answers
# DuplicateTargetGroupName. The provider retries a create whose answer got
# lost with the same generated name, so return the existing group then.
_create_target_group = ELBv2Backend.create_target_group


def create_target_group(self, name, **kwargs):
    for tg in self.target_groups.values():
        if tg.name == name and tg.vpc_id == kwargs.get("vpc_id") and str(tg.port) == str(kwargs.get("port")) and tg.protocol == kwargs.get("protocol"):
            return tg
    return _create_target_group(self, name, **kwargs)


ELBv2Backend.create_target_group = create_target_group

# Gap 5: Cognito UpdateUserPool resets the pool to moto's defaults plus the
# request, dropping what UpdateUserPool cannot change (UsernameAttributes,
# AliasAttributes, UsernameConfiguration, Schema: the provider then plans a
# replacement) and the tags (the provider changes them with TagResource, so
# an update without UserPoolTags would lose them). On AWS those stay. Keep
# each unless the request sets it.
_CREATE_ONLY = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration", "Schema", "PoolName", "UserPoolTags")
_update_extended_config = CognitoIdpUserPool.update_extended_config


def update_extended_config(self, extended_config):
    kept = {k: v for k, v in (getattr(self, "extended_config", None) or {}).items() if k in _CREATE_ONLY}
    _update_extended_config(self, extended_config)
    for k, v in kept.items():
        self.extended_config.setdefault(k, v)


CognitoIdpUserPool.update_extended_config = update_extended_config

# Gap 6: EC2 RevokeSecurityGroupIngress/Egress by SecurityGroupRuleIds
# answers InvalidPermission.NotFound for a rule id that is gone; AWS answers
# InvalidSecurityGroupRuleId.NotFound (Amazon EC2 API Reference, "Error codes
# for the Amazon EC2 API"). The provider's revoke_rules_on_delete revokes, by
# id, the rules of other groups that reference the group it deletes and
# skips the ones already gone by that code only, so a destroy that deletes
# two such groups at once failed here when the other group's delete had
# revoked the rule first.
def _revoke_by_rule_id(revoke, rules_of):
    def wrapped(self, group_name_or_id, *args, security_rule_ids=None, vpc_id=None, **kwargs):
        group = self.get_security_group_by_name_or_id(group_name_or_id, vpc_id)
        if group is not None and security_rule_ids:
            known = {rule.id for rule in rules_of(group)}
            for rule_id in security_rule_ids:
                if rule_id not in known:
                    raise InvalidSecurityGroupRuleIdNotFoundError(rule_id)
        return revoke(self, group_name_or_id, *args, security_rule_ids=security_rule_ids, vpc_id=vpc_id, **kwargs)
    return wrapped


SecurityGroupBackend.revoke_security_group_ingress = _revoke_by_rule_id(
    SecurityGroupBackend.revoke_security_group_ingress, lambda g: g.ingress_rules)
SecurityGroupBackend.revoke_security_group_egress = _revoke_by_rule_id(
    SecurityGroupBackend.revoke_security_group_egress, lambda g: g.egress_rules)

if __name__ == "__main__":
    sys.exit(main())
