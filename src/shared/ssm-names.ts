/**
 * An SSM Parameter Store parameter name: letters, digits, `_ . -`, and `/` for hierarchies
 * (sentinel.config.yml names the Slack webhook's parameter; notify-slack's environment carries it).
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html
 */
export const SSM_PARAMETER_NAME_PATTERN = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
