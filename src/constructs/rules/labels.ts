import type { AiGateway } from '../gateway';
import { describe } from '../violation';

export const gw = (g: AiGateway): string => describe('Gateway', g.gatewayName, g);
export const editionLabel = (g: AiGateway): string => (g.spec ? `spec ${g.spec}` : 'the Serverless edition');
