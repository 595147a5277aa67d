import type { AiGatewayFleet } from '../fleet';
import type { AiGateway } from '../gateway';
import { gatewayImageTag } from '../image-tag';
import type { LockEntry } from '../lock-file';
import { DNS_LABEL_MAX, IMAGE_REPOSITORY_MAX, IMAGE_TAG_MAX, isImageRepository, isImageTag, isLabelValue } from '../names';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

/**
 * Why a tag cannot be both the image tag and the `app.kubernetes.io/version` label value the
 * render gives it, or undefined when it can.
 */
function tagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string') return 'it is not a string';
  if (!isImageTag(tag)) return `an image tag is [A-Za-z0-9_][A-Za-z0-9_.-] and at most ${IMAGE_TAG_MAX} characters`;
  if (!isLabelValue(tag)) {
    return `it is also the label app.kubernetes.io/version, which must start and end with a letter or digit and have at most ${DNS_LABEL_MAX} characters (found ${tag.length})`;
  }
  return undefined;
}

function checkFleet(fleet: AiGatewayFleet): Finding[] {
  const at = describe('Fleet', fleet.node.id, fleet);
  const out: Finding[] = [];
  const repository: unknown = fleet.imageRepository;
  if (typeof repository !== 'string' || !isImageRepository(repository)) {
    out.push(
      finding(
        fleet,
        `${at}: imageRepository must be an image repository without tag or digest: an optional registry host[:port], then lowercase path components ([a-z0-9] joined by '.', '_' or '-') separated by '/', at most ${IMAGE_REPOSITORY_MAX} characters; found ${JSON.stringify(repository)}. Set imageRepository as the registry has it (e.g. 'registry.example.com/team/aigw'; path components are lowercase).`,
      ),
    );
  }
  // The default channel ('stable') is a valid tag: only a channel that was set can fail.
  const channelProblem = tagProblem(fleet.serverless.imageChannel);
  if (channelProblem) {
    out.push(
      finding(
        fleet,
        `${at}: serverless.imageChannel ${JSON.stringify(fleet.serverless.imageChannel)} is not a valid image tag for its Serverless gateways: ${channelProblem}. Set a tag such as 'stable' or 'release-2025.06'.`,
      ),
    );
  }
  return out;
}

function checkGateway(g: AiGateway, locked: LockEntry | undefined): Finding[] {
  if (g.edition !== 'dedicated') return [];
  const tag = gatewayImageTag(g, locked);
  const problem = tagProblem(tag);
  if (!problem) return [];
  const fromProp = g.version !== undefined;
  const source = fromProp ? 'version' : 'the version locked in aigw.lock.json';
  return [
    finding(
      g,
      `${gw(g)}: ${source} ${JSON.stringify(tag)} is not a valid image version: ${problem}. Set version to a tag such as '1.4.2' or '1.4.2-rc.1'.`,
    ),
  ];
}

export const imageReferencesRule: Rule = {
  id: 'image-references',
  description:
    "The data-plane image reference is pullable and labels well: the fleet's imageRepository is a lowercase repository name, and a Dedicated gateway's version and the fleet's serverless.imageChannel are image tags that are also valid app.kubernetes.io/version label values (at most 63 characters, starting and ending with a letter or digit).",
  level: 'error',
  errors: { suppressible: false, because: 'Kubernetes rejects the label, or cannot pull the image, it would produce' },
  check: (ctx) => [...ctx.fleets.flatMap(checkFleet), ...ctx.gateways.flatMap((g) => checkGateway(g, ctx.lock.entries[g.node.path]))],
};
